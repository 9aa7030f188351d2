/**
 * Rookery on Fastify 5 with HTTP/2 (docs/recipes/http2.md): Fastify's own `node:http2` server
 * answers HTTP/2 and HTTP/1.1 requests on one TLS port, and Rookery its WebSockets, as extended
 * CONNECT streams (RFC 8441) and as HTTP/1.1 upgrades. Pass the certificate and its key as PEM
 * files. Prints `PORT <n>` once it listens on 127.0.0.1.
 *
 *   npx node examples/recipes/fastify_http2.ts --cert cert.pem --key key.pem --port 8443
 */
import process from "node:process";
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import Fastify from "fastify";
import { Rookery } from "../../mod.ts"; // in your project: "rookery"
import { attachHttp2 } from "../../adapters/node.ts"; // in your project: "rookery/node"

const { values } = parseArgs({
  options: { port: { type: "string", default: "0" }, cert: { type: "string" }, key: { type: "string" } },
});
if (!values.cert || !values.key) throw new TypeError("--cert and --key (PEM files) are required");

const rookery = new Rookery();
rookery.ws("/ws").onmessage((conn, message) => void conn.send(message));

const fastify = Fastify({
  http2: true,
  https: {
    cert: readFileSync(values.cert),
    key: readFileSync(values.key),
    // Clients that speak only HTTP/1.1 (wss:// upgrades included) are served on the same port.
    allowHTTP1: true,
    // Without enableConnectProtocol browsers never open a WebSocket as a stream of this server.
    settings: { enableConnectProtocol: true, maxConcurrentStreams: 100 },
  },
});
fastify.get("/hello", (request) => ({ hello: "from Fastify", httpVersion: request.raw.httpVersion }));
attachHttp2(rookery, fastify.server);
// preClose, as over HTTP/1.1: every WebSocket gets 1001 before Fastify closes its server.
fastify.addHook("preClose", () => rookery.close());

await fastify.listen({ port: Number(values.port), host: "127.0.0.1" });
console.log(`PORT ${(fastify.server.address() as AddressInfo).port}`);

process.once("SIGTERM", () => void fastify.close());
