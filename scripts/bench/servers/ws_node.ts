/**
 * The `ws` package on Node, with its documented defaults: the baseline for Rookery on Node.
 * `--deflate`: permessage-deflate with the settings Rookery's bench server uses (see DEFLATE).
 */
import "./gc_hook.ts";
import { type WebSocket, WebSocketServer } from "ws";

/**
 * The same work as Rookery's `{ threshold: 0, level: 1 }`: every message compressed, zlib level 1
 * (Rookery's default; ws leaves zlib's 6), memLevel 8 and 15-bit windows (both defaults), context
 * takeover both ways (both defaults). ws's concurrencyLimit stays at its default of 10.
 */
const DEFLATE = { threshold: 0, zlibDeflateOptions: { level: 1, memLevel: 8 } };

const subscribers = new Set<WebSocket>();
const perMessageDeflate = process.argv.includes("--deflate") ? DEFLATE : false;
const wss = new WebSocketServer({ port: 0, host: "127.0.0.1", perMessageDeflate }, () => {
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
