/**
 * An echo server on /echo: text comes back as text, binary as binary. Runs unchanged on
 * every runtime:
 *
 *   npx node examples/echo.ts --port 9001
 *   npx deno run -A examples/echo.ts --port 9001
 *   npx bun examples/echo.ts --port 9001
 *   npx deno run -A examples/echo.ts --adapter node --deflate
 *
 * Flags:
 *   --port PORT          default 9001
 *   --hostname HOST      default 127.0.0.1
 *   --max-payload BYTES  default: Rookery's, 64 MiB
 *   --adapter node       serve with the Node adapter (`rookery/node`) on whatever runtime runs
 *                        this, through its `node:http`: on Deno that is the way to get strict
 *                        masking, close frames for protocol errors and compression. Default: the
 *                        runtime's own adapter.
 *   --deflate            compression (permessage-deflate) for clients that offer it; replies of
 *                        1 KiB or more are compressed. Needs the Node or the Bun adapter: Deno's
 *                        native one cannot compress, so on Deno use it with `--adapter node`.
 *   --tls-cert FILE --tls-key FILE
 *                        serve wss:// (PEM files); with the Node adapter (on Deno and Bun: add
 *                        `--adapter node`)
 *   --http2              with TLS: HTTP/2 too on the same port, WebSockets over it as extended
 *                        CONNECT streams (RFC 8441); HTTP/1.1 clients are still served
 *
 * Prints `listening on ws://HOST:PORT/echo` (wss:// with TLS) once ready.
 */
import { Rookery } from "../mod.ts";
import { adapterFlag, flag, hasFlag, serveAny, tlsFlags } from "./serve_any.ts";

const maxPayload = flag("max-payload", "");
const app = new Rookery({
  ...(maxPayload ? { maxPayload: Number(maxPayload) } : {}),
  // Below about 1 KiB deflate's framing costs more than it saves, and echoes are often short.
  ...(hasFlag("deflate") ? { perMessageDeflate: { threshold: 1024 } } : {}),
});
app.ws("/echo").onmessage((conn, message) => void conn.send(message));

const secure = await tlsFlags();
const server = await serveAny(app, {
  port: Number(flag("port", "9001")),
  hostname: flag("hostname", "127.0.0.1"),
  adapter: adapterFlag(),
  ...secure,
});
console.log(`listening on ${secure.tls ? "wss" : "ws"}://${server.hostname}:${server.port}/echo`);
