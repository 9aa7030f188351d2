/**
 * Compile-time check (tsc -p tsconfig.bun.json, with Bun's own types): the adapter's structural
 * Bun types fit Bun's real API, so `Bun.serve({ ...handlers(app) })` type-checks for users.
 */
import { Rookery } from "../../mod.ts";
import { handlers } from "../../adapters/bun.ts";

const app = new Rookery();
app.ws("/echo").onmessage((conn, message) => void conn.send(message));
export const server = Bun.serve({ port: 0, ...handlers(app, () => new Response("page")) });
