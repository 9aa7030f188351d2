/** The own-server app on the user's own `Deno.serve`, through `handler`. Prints `PORT <n>`. */
import { handler } from "../../adapters/deno.ts";
import { ownApp } from "./app.ts";

const { app, plain } = ownApp();
const rookery = handler(app);
const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, (req, info) => plain(req) ?? rookery(req, info));
console.log(`PORT ${server.addr.port}`);
