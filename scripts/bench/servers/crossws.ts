/** crossws with its documented defaults, on whichever runtime runs it. */
import "./gc_hook.ts";
import { defineHooks } from "crossws";

const g = globalThis as { Deno?: unknown; Bun?: unknown };
const hooks = defineHooks({
  open(peer) {
    if (new URL(peer.request.url).pathname === "/sub") peer.subscribe("fan");
  },
  message(peer, message) {
    const path = new URL(peer.request.url).pathname;
    if (path === "/pub") adapter.publish("fan", message.rawData as string | Uint8Array);
    else peer.send(message.rawData as string | Uint8Array);
  },
});

// deno-lint-ignore no-explicit-any
let adapter: { publish(topic: string, data: string | Uint8Array): void } & Record<string, any>;
if (g.Deno) {
  const { default: denoAdapter } = await import("crossws/adapters/deno");
  const ws = denoAdapter({ hooks });
  adapter = ws;
  // deno-lint-ignore no-explicit-any
  const D = g.Deno as any;
  const server = D.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (req: Request, info: unknown) => ws.handleUpgrade(req, info as never));
  console.log(`PORT ${server.addr.port}`);
} else if (g.Bun) {
  const { default: bunAdapter } = await import("crossws/adapters/bun");
  const ws = bunAdapter({ hooks });
  adapter = ws;
  // deno-lint-ignore no-explicit-any
  const B = g.Bun as any;
  const server = B.serve({ port: 0, hostname: "127.0.0.1", websocket: ws.websocket, fetch: (req: Request, s: unknown) => ws.handleUpgrade(req, s as never) });
  console.log(`PORT ${server.port}`);
} else {
  const { createServer } = await import("node:http");
  const { default: nodeAdapter } = await import("crossws/adapters/node");
  const ws = nodeAdapter({ hooks });
  adapter = ws;
  const server = createServer();
  server.on("upgrade", (req, socket, head) => void ws.handleUpgrade(req, socket, head));
  server.listen(0, "127.0.0.1", () => console.log(`PORT ${(server.address() as { port: number }).port}`));
}
