/** The `ws` package on Node, with its documented defaults: the baseline for Rookery on Node. */
import "./gc_hook.ts";
import { type WebSocket, WebSocketServer } from "ws";

const subscribers = new Set<WebSocket>();
const wss = new WebSocketServer({ port: 0, host: "127.0.0.1" }, () => {
  console.log(`PORT ${(wss.address() as { port: number }).port}`);
});
wss.on("connection", (ws, req) => {
  if (req.url === "/sub") {
    subscribers.add(ws);
    ws.on("close", () => subscribers.delete(ws));
  } else if (req.url === "/pub") {
    ws.on("message", (data, isBinary) => {
      for (const sub of subscribers) sub.send(data, { binary: isBinary });
    });
  } else {
    ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
  }
});
