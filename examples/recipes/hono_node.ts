/**
 * The Hono recipe on Node (docs/recipes/hono.md): `@hono/node-server` serves Hono, and Rookery
 * takes the WebSocket upgrades of its `node:http` server. Prints `PORT <n>` once it listens on
 * 127.0.0.1.
 *
 *   npx node examples/recipes/hono_node.ts --port 8080
 */
import process from "node:process";
import type { Server } from "node:http";
import { parseArgs } from "node:util";
import { serve } from "@hono/node-server";
import { attach } from "../../adapters/node.ts"; // in your project: "rookery/node"
import { hono, rookery } from "./hono_app.ts";

const { values } = parseArgs({ options: { port: { type: "string", default: "0" } } });

const server = serve({ fetch: hono.fetch, port: Number(values.port), hostname: "127.0.0.1" }, (info) => {
  console.log(`PORT ${info.port}`);
}) as Server; // serve()'s type covers HTTP/2 servers too; without HTTP/2 options it is node:http's
attach(rookery, server);

process.once("SIGTERM", async () => {
  // WebSockets first: server.close() waits for every open connection, upgraded ones included.
  await rookery.close();
  server.close();
});
