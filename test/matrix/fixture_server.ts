/**
 * Starts the matrix fixture on whatever runtime runs this file (node, deno or bun) on
 * 127.0.0.1 and an ephemeral port, and prints `PORT <n>` once it listens.
 *
 * `--idle SECONDS` sets the app's idleTimeout. `--redis URL` shares topics through a Redis broker
 * (prints `BROKER <status>` on each change, `BROKER-ERROR <message>` on each failure, and waits
 * for Redis before printing the port). SIGHUP shuts it down gracefully (`close()`), prints `SHUTDOWN <transcripts as JSON>`, and exits 0.
 */
import { exit, flag, onSignal, runtime, serveAny } from "../../examples/serve_any.ts";
import { fixtureApp } from "./fixture_app.ts";

const idle = flag("idle", "");
const redisUrl = flag("redis", "");
const broker = redisUrl ? await startBroker(redisUrl) : undefined;
const { app, fetch, transcripts } = fixtureApp(runtime, {
  ...(idle ? { idleTimeout: Number(idle) } : {}),
  ...(broker ? { broker } : {}),
});
await broker?.ready();
const server = await serveAny(app, { port: 0, hostname: "127.0.0.1", fetch });
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
