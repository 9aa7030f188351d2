/**
 * Rookery on Deno's own `Deno.serve` (docs/recipes/deno.md): `handler` upgrades the WebSocket
 * routes and hands every other request to the app's own handler. Prints `PORT <n>` once it
 * listens on 127.0.0.1.
 *
 *   npx deno run -A examples/recipes/deno_serve.ts --port 8080
 */
import { parseArgs } from "node:util";
import { Rookery } from "../../mod.ts"; // in your project: "rookery"
import { handler } from "../../adapters/deno.ts"; // in your project: "rookery/deno"

const { values } = parseArgs({ args: Deno.args, options: { port: { type: "string", default: "0" } } });

const rookery = new Rookery();
rookery.ws("/ws").onmessage((conn, message) => void conn.send(message));

/** Everything that is not a WebSocket route; `info` is Deno's, as in any Deno.serve handler. */
function pages(request: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr> | undefined): Response {
  const { pathname } = new URL(request.url);
  if (pathname === "/hello") return Response.json({ hello: "from Deno.serve", you: info?.remoteAddr.hostname });
  return new Response("No such page\n", { status: 404 });
}

const server = Deno.serve(
  { port: Number(values.port), hostname: "127.0.0.1", onListen: ({ port }) => console.log(`PORT ${port}`) },
  handler(rookery, pages),
);

Deno.addSignalListener("SIGTERM", async () => {
  // WebSockets first (1001 "server shutting down"), then the server stops.
  await rookery.close();
  await server.shutdown();
});
