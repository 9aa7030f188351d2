/**
 * Rookery on Fastify 5 (docs/recipes/fastify.md): Fastify answers HTTP, Rookery the WebSocket
 * upgrades of Fastify's own `node:http` server. Prints `PORT <n>` once it listens on 127.0.0.1.
 *
 *   npx node examples/recipes/fastify.ts --port 8080
 */
import process from "node:process";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import Fastify from "fastify";
import { Rookery } from "../../mod.ts"; // in your project: "rookery"
import { attach } from "../../adapters/node.ts"; // in your project: "rookery/node"

const { values } = parseArgs({ options: { port: { type: "string", default: "0" } } });

const rookery = new Rookery();
rookery.ws("/ws").onmessage((conn, message) => void conn.send(message));

const fastify = Fastify();
fastify.get("/hello", () => ({ hello: "from Fastify" }));
attach(rookery, fastify.server);
// preClose, not onClose: onClose hooks run after Fastify's server has closed, and it cannot
// close while an upgraded socket is open, so fastify.close() would wait for every client to leave.
fastify.addHook("preClose", () => rookery.close());

await fastify.listen({ port: Number(values.port), host: "127.0.0.1" });
console.log(`PORT ${(fastify.server.address() as AddressInfo).port}`);

process.once("SIGTERM", () => void fastify.close());
