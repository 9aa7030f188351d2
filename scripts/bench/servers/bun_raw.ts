/** Raw `Bun.serve` websocket: the baseline for Rookery on Bun. */
import "./gc_hook.ts";
const server = Bun.serve<{ path: string }>({
  port: 0,
  hostname: "127.0.0.1",
  fetch(req, server) {
    const path = new URL(req.url).pathname;
    return server.upgrade(req, { data: { path } }) ? undefined : new Response("no", { status: 400 });
  },
  websocket: {
    open(ws) {
      if (ws.data.path === "/sub") ws.subscribe("fan");
    },
    message(ws, message) {
      if (ws.data.path === "/pub") server.publish("fan", message);
      else ws.send(message);
    },
  },
});
console.log(`PORT ${server.port}`);
