/** Raw `Deno.upgradeWebSocket`: the baseline for Rookery on Deno. */
import "./gc_hook.ts";
const subscribers = new Set<WebSocket>();
const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (req) => {
  const path = new URL(req.url).pathname;
  const { socket, response } = Deno.upgradeWebSocket(req);
  socket.binaryType = "arraybuffer";
  if (path === "/sub") {
    socket.onopen = () => subscribers.add(socket);
    socket.onclose = () => subscribers.delete(socket);
  } else if (path === "/pub") {
    socket.onmessage = (e) => {
      for (const sub of subscribers) sub.send(e.data);
    };
  } else {
    socket.onmessage = (e) => socket.send(e.data);
  }
  return response;
});
console.log(`PORT ${server.addr.port}`);
