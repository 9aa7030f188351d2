/** Hono's WebSocket helper with its documented defaults, on whichever runtime runs it. */
import "./gc_hook.ts";
import { Hono } from "hono";
import type { UpgradeWebSocket, WSContext } from "hono/ws";

const g = globalThis as { Deno?: unknown; Bun?: unknown };
const subscribers = new Set<WSContext>();

function routes(app: Hono, upgradeWebSocket: UpgradeWebSocket) {
  app.get("/echo", upgradeWebSocket(() => ({ onMessage: (e, ws) => ws.send(e.data as string) })));
  app.get(
    "/sub",
    upgradeWebSocket(() => ({ onOpen: (_e, ws) => void subscribers.add(ws), onClose: (_e, ws) => void subscribers.delete(ws) })),
  );
  app.get(
    "/pub",
    upgradeWebSocket(() => ({
      onMessage: (e) => {
        for (const sub of subscribers) sub.send(e.data as string);
      },
    })),
  );
}

const app = new Hono();
if (g.Deno) {
  const { upgradeWebSocket } = await import("hono/deno");
  routes(app, upgradeWebSocket);
  // deno-lint-ignore no-explicit-any
  const server = (g.Deno as any).serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, app.fetch);
  console.log(`PORT ${server.addr.port}`);
} else if (g.Bun) {
  const { upgradeWebSocket, websocket } = await import("hono/bun");
  routes(app, upgradeWebSocket);
  // deno-lint-ignore no-explicit-any
  const server = (g.Bun as any).serve({ port: 0, hostname: "127.0.0.1", fetch: app.fetch, websocket });
  console.log(`PORT ${server.port}`);
} else {
  const { serve } = await import("@hono/node-server");
  const { createNodeWebSocket } = await import("@hono/node-ws");
  const { injectWebSocket, upgradeWebSocket } = createNodeWebSocket({ app });
  routes(app, upgradeWebSocket);
  const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => console.log(`PORT ${info.port}`));
  injectWebSocket(server);
}
