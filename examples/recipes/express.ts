/**
 * Rookery on Express 5 (docs/recipes/express.md): Express answers HTTP, Rookery the WebSocket
 * upgrades of the same `node:http` server. Prints `PORT <n>` once it listens on 127.0.0.1.
 *
 *   npx node examples/recipes/express.ts --port 8080
 */
import process from "node:process";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import express from "express";
import { Rookery } from "../../mod.ts"; // in your project: "rookery"
import { attach } from "../../adapters/node.ts"; // in your project: "rookery/node"

const { values } = parseArgs({ options: { port: { type: "string", default: "0" } } });

const rookery = new Rookery();
rookery.ws("/ws").onmessage((conn, message) => void conn.send(message));

const app = express();
app.get("/hello", (_req, res) => {
  res.json({ hello: "from Express" });
});

// Express's listen() returns the node:http server; upgrades never reach Express's router.
const server = app.listen(Number(values.port), "127.0.0.1", (error) => {
  if (error) throw error;
  console.log(`PORT ${(server.address() as AddressInfo).port}`);
});
attach(rookery, server);

process.once("SIGTERM", async () => {
  // WebSockets first (1001 "server shutting down"): server.close() waits for every open
  // connection, and an upgraded socket stays open until its client leaves.
  await rookery.close();
  server.close();
});
