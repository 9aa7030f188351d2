/**
 * The chat demo server, on whichever runtime runs it:
 *
 *   node examples/chat/server.ts            (npm start)
 *   deno run -A examples/chat/server.ts
 *   bun examples/chat/server.ts
 *
 * Flags: --port (default 8080; 0 picks a free one), --hostname (default 127.0.0.1),
 * --redis URL (share rooms with every other instance through Redis), --workers N (run N
 * processes on the port, SO_REUSEPORT; needs --redis so rooms span them).
 * Prints `chat running at http://HOST:PORT/` once ready.
 */
import type { RedisBroker } from "../../adapters/redis.ts";
import { startCluster, stopWithPrimary } from "../cluster.ts";
import { args, exit, flag, onSignal, pid, runtime, serveAny } from "../serve_any.ts";
import { chatApp } from "./app.ts";

const port = Number(flag("port", "8080"));
const hostname = flag("hostname", "127.0.0.1");
const redisUrl = flag("redis", "");
const workers = Number(flag("workers", "1"));
const isWorker = args.includes("--worker");

if (!Number.isInteger(workers) || workers < 1 || workers > 64) {
  console.error(`--workers takes a whole number from 1 to 64, got ${flag("workers", "")}`);
  exit(2);
}

if (workers > 1 && !isWorker) {
  if (!redisUrl) {
    console.error("--workers needs --redis URL: each worker has its own connections, Redis carries rooms between them");
    exit(2);
  }
  // The primary: start the workers, print where they listen, stop them on a signal.
  const script = new URL(import.meta.url).pathname;
  const cluster = await startCluster(script, workers, port, ["--hostname", hostname, "--redis", redisUrl]);
  console.log(`chat running at http://${hostname}:${cluster.port}/ (${runtime}, ${workers} workers ${cluster.pids.join(" ")}, rooms through ${redisUrl})`);
  for (const signal of ["SIGINT", "SIGTERM"] as const) onSignal(signal, () => void cluster.stop().then(() => exit(0)));
} else {
  const broker = redisUrl ? await connectBroker(redisUrl) : undefined;
  const { app, fetch } = chatApp({ ...(broker ? { broker } : {}), worker: `${runtime} ${isWorker ? "worker" : "process"} ${pid}` });
  const server = await serveAny(app, { port, hostname, fetch, reusePort: isWorker });
  console.log(`chat running at http://${server.hostname}:${server.port}/ (${server.runtime})`);
  const stop = () => void server.close().then(() => broker?.close()).then(() => exit(0));
  for (const signal of ["SIGINT", "SIGTERM"] as const) onSignal(signal, stop);
  if (isWorker) stopWithPrimary(stop);
}

async function connectBroker(url: string): Promise<RedisBroker> {
  // Loaded only with --redis: the `redis` client is an optional peer of Rookery.
  const { redisBroker } = await import("../../adapters/redis.ts");
  const broker = redisBroker({ url, onerror: (error) => console.error(`[redis] ${error.message}`) });
  // Serve even if Redis is down: rooms are local until it is back.
  const waited = await Promise.race([broker.ready().then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 5000))]);
  if (!waited) console.error(`[redis] ${url} not reachable yet; serving, rooms stay on this process until it is`);
  return broker;
}
