/**
 * An echo server on /echo: text comes back as text, binary as binary.
 *
 *   node examples/echo.ts --port 9001 [--hostname 127.0.0.1] [--max-payload BYTES]
 *
 * Prints `listening on ws://HOST:PORT/echo` once ready.
 */
import { Rookery } from "../mod.ts";
import { serve } from "../adapters/node.ts";

function flag(name: string, fallback: string): string {
  const args = process.argv;
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
}

const maxPayload = flag("max-payload", "");
const app = new Rookery(maxPayload ? { maxPayload: Number(maxPayload) } : {});
app.ws("/echo").onmessage((conn, message) => void conn.send(message));

const server = await serve(app, {
  port: Number(flag("port", "9001")),
  hostname: flag("hostname", "127.0.0.1"),
});
console.log(`listening on ws://${server.hostname}:${server.port}/echo`);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void server.close().then(() => process.exit(0)));
}
