/**
 * An echo server on /echo: text comes back as text, binary as binary. Runs unchanged on
 * every runtime:
 *
 *   node examples/echo.ts --port 9001
 *   deno run -A examples/echo.ts --port 9001
 *   bun examples/echo.ts --port 9001
 *
 * Flags: --port (default 9001), --hostname (default 127.0.0.1), --max-payload BYTES (default:
 * unlimited). Prints `listening on ws://HOST:PORT/echo` once ready.
 */
import { Rookery } from "../mod.ts";
import { flag, serveAny } from "./serve_any.ts";

const maxPayload = flag("max-payload", "");
const app = new Rookery(maxPayload ? { maxPayload: Number(maxPayload) } : {});
app.ws("/echo").onmessage((conn, message) => void conn.send(message));

const server = await serveAny(app, { port: Number(flag("port", "9001")), hostname: flag("hostname", "127.0.0.1") });
console.log(`listening on ws://${server.hostname}:${server.port}/echo`);
