/**
 * Rookery on `Bun.serve` with Bun's own `routes` (docs/recipes/bun.md): `routes` answer HTTP,
 * and Rookery's `handlers` take what no route matched: WebSocket upgrades, and a 404 for the
 * rest. Prints `PORT <n>` once it listens on 127.0.0.1.
 *
 *   npx bun examples/recipes/bun_serve.ts --port 8080
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { Rookery } from "../../mod.ts"; // in your project: "rookery"
import { handlers } from "../../adapters/bun.ts"; // in your project: "rookery/bun"

const { values } = parseArgs({ options: { port: { type: "string", default: "0" } } });

const rookery = new Rookery();
rookery.ws("/ws").onmessage((conn, message) => void conn.send(message));

// Bun tries `routes` first and calls `fetch` only when none matches: no route may cover /ws.
const { fetch, websocket } = handlers(rookery, () => new Response("No such page\n", { status: 404 }));
const server = Bun.serve({
  port: Number(values.port),
  hostname: "127.0.0.1",
  routes: {
    "/hello": Response.json({ hello: "from Bun.serve" }),
    "/users/:id": (req) => Response.json({ user: req.params.id }),
  },
  fetch,
  websocket,
});
console.log(`PORT ${server.port}`);

process.once("SIGTERM", async () => {
  // WebSockets first (1001 "server shutting down"), then the server stops.
  await rookery.close();
  await server.stop();
});
