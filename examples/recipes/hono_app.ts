/**
 * The Hono recipe's app (docs/recipes/hono.md), the same on Node, Deno and Bun: Hono answers
 * HTTP, Rookery `/ws`. One check guards both: Hono's middleware runs for Hono's routes only
 * (Rookery answers upgrades before Hono sees them), so the WebSocket route runs the same check
 * in `onaccept`.
 */
import { Hono } from "hono";
import { Rookery } from "../../mod.ts"; // in your project: "rookery"

/** A demo credential; a real app would look up a session or verify a signed token. */
const TOKEN = "let-me-in";

/**
 * `undefined` when the request may pass, else the refusal. Browsers cannot set headers on a
 * WebSocket handshake but do send their cookies: a real app would read its session cookie here.
 */
export function refusal(request: Request): Response | undefined {
  if (request.headers.get("authorization") === `Bearer ${TOKEN}`) return undefined;
  return new Response("Unauthorized\n", { status: 401, headers: { "www-authenticate": "Bearer" } });
}

export const rookery = new Rookery();
rookery
  .ws("/ws")
  // A Response from onaccept is sent as it is, instead of the 101.
  .onaccept((request) => refusal(request) ?? true)
  .onmessage((conn, message) => void conn.send(message));

export const hono = new Hono();
hono.use("/private/*", async (c, next) => {
  const refused = refusal(c.req.raw);
  if (refused) return refused;
  await next();
});
hono.get("/hello", (c) => c.json({ hello: "from Hono" }));
hono.get("/private/hello", (c) => c.json({ hello: "from behind Hono's middleware" }));
