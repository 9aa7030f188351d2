/**
 * The Hono recipe on Deno (docs/recipes/hono.md): Rookery's `handler` goes into `Deno.serve`,
 * with Hono's `fetch` as the fallback for every path that is not a WebSocket route. Prints
 * `PORT <n>` once it listens on 127.0.0.1.
 *
 *   npx deno run -A examples/recipes/hono_deno.ts --port 8080
 */
import { parseArgs } from "node:util";
import { handler } from "../../adapters/deno.ts"; // in your project: "rookery/deno"
import { hono, rookery } from "./hono_app.ts";

const { values } = parseArgs({ args: Deno.args, options: { port: { type: "string", default: "0" } } });

// Deno's ServeHandlerInfo goes on to Hono as its second argument, so hono/deno's getConnInfo works.
const server = Deno.serve(
  { port: Number(values.port), hostname: "127.0.0.1", onListen: ({ port }) => console.log(`PORT ${port}`) },
  handler(rookery, (req, info) => hono.fetch(req, info)),
);

Deno.addSignalListener("SIGTERM", async () => {
  await rookery.close();
  await server.shutdown();
});
