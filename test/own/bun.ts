/** The own-server app on the user's own `Bun.serve`, through `handlers`. Prints `PORT <n>`. */
import { handlers } from "../../adapters/bun.ts";
import { ownApp } from "./app.ts";

const { app, plain } = ownApp();
// The fallback answers with what Bun's second argument (the Server) tells it: the client's address.
const rookery = handlers(app, (req, srv) => Response.json({ remote: (srv as unknown as { requestIP(r: Request): { address: string } | null }).requestIP(req)?.address ?? null }));
const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: (req, srv) => plain(req) ?? rookery.fetch(req, srv), websocket: rookery.websocket });
console.log(`PORT ${server.port}`);
