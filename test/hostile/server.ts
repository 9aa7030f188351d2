/**
 * The target of the hostile-client suite, on whatever runtime runs it: an app with Rookery's
 * defaults (no limit set), routes whose user code fails in each way an upgrade can, and a
 * `/stats` side channel (memory after a forced GC, closes seen). Log lines go to stdout as
 * `LOG <message>` so the runner can check that failures are logged. `--close-timeout MS`;
 * `--unlimited` adds `/unlimited` (`maxPayload: Infinity`), which on Bun raises the server-wide
 * limit, so the default-limit cases run without it.
 */
import { Rookery } from "../../mod.ts";
import { args, flag, serveAny } from "../../examples/serve_any.ts";
import { collectedMemory } from "../support/collected_memory.ts";

const app = new Rookery({ logger: (message) => console.log(`LOG ${message}`) });
let closed = 0;
const echo = (pattern: string) =>
  app
    .ws(pattern)
    .onmessage((conn, message) => {
      if (message === "close-me") conn.close(4000, "done");
      else conn.send(message);
    })
    .onclose(() => void closed++);

echo("/echo");
echo("/limited").maxPayload(1 << 20);
if (args.includes("--unlimited")) echo("/unlimited").maxPayload(Infinity);
app.ws("/reject").onaccept(() => false);
app.ws("/throws").onmessage(() => {
  throw new Error("a bug in onmessage");
});
app.ws("/accept-throws").onaccept(() => {
  throw new Error("a bug in onaccept");
});
app.ws("/crlf-header").onaccept(() => ({ headers: { "x-token": "a\r\nset-cookie: stolen=1" } }));
app.ws("/non-latin1-header").onaccept(() => ({ headers: { "x-name": "Zoë €" } }));
app.ws("/origin-throws").allowedOrigins(() => {
  throw new Error("a bug in the origin predicate");
});

const fetch = (req: Request): Response => {
  const { pathname } = new URL(req.url);
  if (pathname === "/stats") return Response.json({ ...collectedMemory(), closed });
  return new Response(`fallback ${pathname}`);
};
const server = await serveAny(app, { port: 0, hostname: "127.0.0.1", fetch, closeTimeout: Number(flag("close-timeout", "5000")) });
console.log(`PORT ${server.port}`);
