/**
 * Starts the matrix fixture on whatever runtime runs this file (node, deno or bun) on
 * 127.0.0.1 and an ephemeral port, and prints `PORT <n>` once it listens.
 *
 * `--adapter node` serves with the Node adapter whatever the runtime (on Deno: the matrix's
 * "deno-node" column); `GET /hello` then names both, as `hello from deno-node`. The compression
 * route (/deflate) is there wherever the adapter can compress, so not on Deno's native adapter.
 *
 * `--tls-cert FILE --tls-key FILE [--http2]` serve over TLS, and with `--http2` WebSockets over
 * HTTP/2 streams too (RFC 8441; the Node adapter only, so `--adapter node` on Deno and Bun): the
 * HTTP/2 lifecycle column (`http2_lifecycle.test.ts`).
 *
 * `--idle SECONDS` sets the app's idleTimeout. `--redis URL` shares topics through a Redis broker
 * (prints `BROKER <status>` on each change, `BROKER-ERROR <message>` on each failure, and waits
 * for Redis before printing the port). SIGHUP shuts it down gracefully (`close()`), prints `SHUTDOWN <transcripts as JSON>`, and exits 0.
 */
import { adapterFlag, exit, flag, onSignal, runtime, serveAny, tlsFlags } from "../../examples/serve_any.ts";
import { fixtureApp } from "./fixture_app.ts";

const idle = flag("idle", "");
const redisUrl = flag("redis", "");
const broker = redisUrl ? await startBroker(redisUrl) : undefined;
const adapter = adapterFlag();
const { app, fetch, transcripts } = fixtureApp(adapter === runtime ? runtime : `${runtime}-${adapter}`, {
  ...(idle ? { idleTimeout: Number(idle) } : {}),
  ...(broker ? { broker } : {}),
  deflate: adapter !== "deno",
});
await broker?.ready();
const server = await serveAny(app, { port: 0, hostname: "127.0.0.1", fetch, adapter, ...(await tlsFlags()) });
console.log(`PORT ${server.port}`);

async function startBroker(url: string) {
  // Loaded only when asked for, as an app would: the core never needs the redis client.
  const { redisBroker } = await import("../../adapters/redis.ts");
  return redisBroker({
    url,
    onstatus: (status) => console.log(`BROKER ${status}`),
    onerror: (error) => console.log(`BROKER-ERROR ${error.message}`),
  });
}

const shutdown = async () => {
  await server.close();
  await broker?.close();
  console.log(`SHUTDOWN ${JSON.stringify(transcripts())}`);
  exit(0);
};
onSignal("SIGHUP", shutdown);
