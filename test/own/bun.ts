/** The own-server app on the user's own `Bun.serve`, through `handlers`. Prints `PORT <n>`. */
import { handlers } from "../../adapters/bun.ts";
import { ownApp } from "./app.ts";

const { app, plain } = ownApp();
const rookery = handlers(app);
const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: (req, srv) => plain(req) ?? rookery.fetch(req, srv), websocket: rookery.websocket });
console.log(`PORT ${server.port}`);
