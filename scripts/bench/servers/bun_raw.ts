/**
 * Raw `Bun.serve` websocket: the baseline for Rookery on Bun.
 * `--deflate`: `perMessageDeflate: true`, Bun's shared compressor and decompressor (no context
 * kept between messages). `--deflate-dedicated`: a compressor and decompressor per connection
 * that keep their context, of the sizes Rookery asks Bun for with 15-bit windows
 * (adapters/bun/deflate.ts): the like-for-like baseline. Either way every send asks to
 * compress, since Bun compresses only the sends that pass `true`.
 */
import "./gc_hook.ts";
const perMessageDeflate = process.argv.includes("--deflate-dedicated")
  ? { compress: "256KB" as const, decompress: "32KB" as const }
  : process.argv.includes("--deflate");
const compress = perMessageDeflate !== false;
const server = Bun.serve<{ path: string }>({
  port: 0,
  hostname: "127.0.0.1",
  fetch(req, server) {
    const path = new URL(req.url).pathname;
    return server.upgrade(req, { data: { path } }) ? undefined : new Response("no", { status: 400 });
  },
  websocket: {
    perMessageDeflate,
    open(ws) {
      if (ws.data.path === "/sub") ws.subscribe("fan");
    },
    message(ws, message) {
      if (ws.data.path === "/pub") server.publish("fan", message, compress);
      else ws.send(message, compress);
    },
  },
});
console.log(`PORT ${server.port}`);
