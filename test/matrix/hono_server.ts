/**
 * Hono as the fallback of a Rookery server, on whatever runtime runs this file: Rookery serves
 * `/ws`, Hono everything else, and Hono's `getConnInfo` (which needs the runtime's second
 * argument: Bun's `Server`, Deno's `ServeHandlerInfo`, Node's `{ incoming, outgoing }`) answers
 * `/ip`. Prints `PORT <n>`.
 */
import { Hono } from "hono";
import type { Context } from "hono";
import { Rookery } from "../../mod.ts";
import { runtime, serveAny } from "../../examples/serve_any.ts";

type ConnInfo = (c: Context) => { remote: { address?: string } };
const getConnInfo: ConnInfo = runtime === "deno"
  ? (await import("hono/deno")).getConnInfo
  : runtime === "bun"
  ? (await import("hono/bun")).getConnInfo
  : (await import("@hono/node-server/conninfo")).getConnInfo;

const app = new Rookery();
app.ws("/ws").onmessage((conn, message) => void conn.send(message));
const hono = new Hono();
hono.get("/ip", (c) => c.text(`${runtime} ${getConnInfo(c).remote.address ?? "none"}`));

const server = await serveAny(app, { port: 0, hostname: "127.0.0.1", fetch: (request, env) => hono.fetch(request, env as never) });
console.log(`PORT ${server.port}`);
