/**
 * The Hono recipe on Bun (docs/recipes/hono.md): Rookery's `handlers` go into `Bun.serve`, with
 * Hono's `fetch` as the fallback for every path that is not a WebSocket route. Prints `PORT <n>`
 * once it listens on 127.0.0.1.
 *
 *   npx bun examples/recipes/hono_bun.ts --port 8080
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { handlers } from "../../adapters/bun.ts"; // in your project: "rookery/bun"
import { hono, rookery } from "./hono_app.ts";

const { values } = parseArgs({ options: { port: { type: "string", default: "0" } } });

// Bun's Server goes on to Hono as its second argument, so hono/bun's getConnInfo works.
const server = Bun.serve({ port: Number(values.port), hostname: "127.0.0.1", ...handlers(rookery, (req, srv) => hono.fetch(req, srv)) });
console.log(`PORT ${server.port}`);

process.once("SIGTERM", async () => {
  await rookery.close();
  await server.stop();
});
