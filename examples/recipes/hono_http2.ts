/**
 * The Hono recipe on Node with HTTP/2 (docs/recipes/http2.md): `@hono/node-server` serves Hono
 * from a `node:http2` secure server, HTTP/2 and HTTP/1.1 on one TLS port, and Rookery its
 * WebSockets, as extended CONNECT streams (RFC 8441) and as HTTP/1.1 upgrades. The app is the
 * one of the plain Hono recipe (hono_app.ts). Pass the certificate and its key as PEM files.
 * Prints `PORT <n>` once it listens on 127.0.0.1.
 *
 *   npx node examples/recipes/hono_http2.ts --cert cert.pem --key key.pem --port 8443
 */
import process from "node:process";
import { readFileSync } from "node:fs";
import { createSecureServer, type Http2SecureServer } from "node:http2";
import { parseArgs } from "node:util";
import { serve } from "@hono/node-server";
import { attachHttp2 } from "../../adapters/node.ts"; // in your project: "rookery/node"
import { hono, rookery } from "./hono_app.ts";

const { values } = parseArgs({
  options: { port: { type: "string", default: "0" }, cert: { type: "string" }, key: { type: "string" } },
});
if (!values.cert || !values.key) throw new TypeError("--cert and --key (PEM files) are required");

const server = serve(
  {
    fetch: hono.fetch,
    port: Number(values.port),
    hostname: "127.0.0.1",
    createServer: createSecureServer,
    serverOptions: {
      cert: readFileSync(values.cert),
      key: readFileSync(values.key),
      // Clients that speak only HTTP/1.1 (wss:// upgrades included) are served on the same port.
      allowHTTP1: true,
      // Without enableConnectProtocol browsers never open a WebSocket as a stream of this server.
      settings: { enableConnectProtocol: true, maxConcurrentStreams: 100 },
    },
  },
  (info) => console.log(`PORT ${info.port}`),
) as Http2SecureServer; // with createSecureServer, serve() returns what it made
attachHttp2(rookery, server);

process.once("SIGTERM", async () => {
  // WebSockets first: the server closes once its sessions have, and a stream keeps its session open.
  await rookery.close();
  server.close();
});
