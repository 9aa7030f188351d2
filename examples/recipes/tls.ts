/**
 * wss:// on Node (docs/recipes/tls.md): Rookery's `attach` on a `node:https` server. Pass the
 * certificate and its key as PEM files. Prints `PORT <n>` once it listens on 127.0.0.1.
 *
 *   npx node examples/recipes/tls.ts --cert cert.pem --key key.pem --port 8443
 */
import process from "node:process";
import { readFileSync } from "node:fs";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { Rookery } from "../../mod.ts"; // in your project: "rookery"
import { attach } from "../../adapters/node.ts"; // in your project: "rookery/node"

const { values } = parseArgs({
  options: { port: { type: "string", default: "0" }, cert: { type: "string" }, key: { type: "string" } },
});
if (!values.cert || !values.key) throw new TypeError("--cert and --key (PEM files) are required");

const rookery = new Rookery();
rookery.ws("/ws").onmessage((conn, message) => void conn.send(message));

const server = createServer({ cert: readFileSync(values.cert), key: readFileSync(values.key) }, (req, res) => {
  if (req.url === "/hello") res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ hello: "over TLS" }));
  else res.writeHead(404, { "content-type": "text/plain" }).end("No such page\n");
});
// The same call as for node:http: Rookery sees the upgrade after TLS has been taken off.
attach(rookery, server);
server.listen(Number(values.port), "127.0.0.1", () => {
  console.log(`PORT ${(server.address() as AddressInfo).port}`);
});

process.once("SIGTERM", async () => {
  await rookery.close();
  server.close();
});
