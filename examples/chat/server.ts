/**
 * The chat demo server, on whichever runtime runs it:
 *
 *   node examples/chat/server.ts            (npm start)
 *   deno run -A examples/chat/server.ts
 *   bun examples/chat/server.ts
 *
 * Flags: --port (default 8080; 0 picks a free one), --hostname (default 127.0.0.1).
 * Prints `chat running at http://HOST:PORT/` once ready.
 */
import { flag, serveAny } from "../serve_any.ts";
import { chatApp } from "./app.ts";

const { app, fetch } = chatApp();
const server = await serveAny(app, { port: Number(flag("port", "8080")), hostname: flag("hostname", "127.0.0.1"), fetch });
console.log(`chat running at http://${server.hostname}:${server.port}/ (${server.runtime})`);
