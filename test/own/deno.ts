/** The own-server app on the user's own `Deno.serve`, through `handler`. Prints `PORT <n>`. */
import { handler } from "../../adapters/deno.ts";
import { ownApp } from "./app.ts";

const { app, plain } = ownApp();
// The fallback answers with what Deno's second argument told it: the client's address.
const rookery = handler(app, (_req, info) => Response.json({ remote: info?.remoteAddr.hostname ?? null }));
const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, (req, info) => plain(req) ?? rookery(req, info));
console.log(`PORT ${server.addr.port}`);
