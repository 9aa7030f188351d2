/**
 * Rookery behind a reverse proxy (docs/recipes/reverse-proxy.md; nginx.conf and Caddyfile here
 * are the proxy's side). Greets each WebSocket client with the address it connected from, read
 * from X-Forwarded-For when the connection comes from a trusted proxy, then echoes. Prints
 * `PORT <n>` once it listens on 127.0.0.1.
 *
 *   npx node examples/recipes/behind_proxy.ts --port 8080 --trusted-proxy 127.0.0.1 --idle-timeout 50
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { Rookery } from "../../mod.ts"; // in your project: "rookery"
import { serve } from "../../adapters/node.ts"; // in your project: "rookery/node"

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "0" },
    "trusted-proxy": { type: "string", multiple: true, default: ["127.0.0.1"] },
    "idle-timeout": { type: "string", default: "50" },
  },
});
const trustedProxies = new Set(values["trusted-proxy"]);

/**
 * The client's address. Behind a proxy the peer is the proxy, which appends the address it saw
 * to X-Forwarded-For; only that last entry is the proxy's word, the ones before it came with the
 * request and may be forged. A peer that is not a trusted proxy is the client itself.
 */
function clientAddress(peer: string | undefined, forwardedFor: string | null): string | undefined {
  if (peer === undefined || !trustedProxies.has(peer) || !forwardedFor) return peer;
  return forwardedFor.split(",").at(-1)?.trim() || peer;
}

// A proxy drops a connection on which the upstream has sent nothing for its read timeout (nginx:
// 60 s unless told otherwise). Rookery pings a client that has been silent for idleTimeout
// seconds, and that ping is traffic, so idleTimeout must stay below the proxy's timeout.
const rookery = new Rookery({ idleTimeout: Number(values["idle-timeout"]) });
rookery
  .ws("/ws")
  // onaccept sees the request's headers; the peer's address is known once the socket is open.
  .onaccept((request) => ({ data: { forwardedFor: request.headers.get("x-forwarded-for") } }))
  .onopen((conn) => void conn.send(`hello ${clientAddress(conn.remoteAddress, conn.data.forwardedFor)}`))
  .onmessage((conn, message) => void conn.send(message));

const server = await serve(rookery, {
  port: Number(values.port),
  hostname: "127.0.0.1",
  fetch: (request) =>
    new URL(request.url).pathname === "/hello"
      ? Response.json({ hello: "from behind the proxy", proto: request.headers.get("x-forwarded-proto") })
      : new Response("No such page\n", { status: 404 }),
});
console.log(`PORT ${server.port}`);

process.once("SIGTERM", () => void server.close());
