/**
 * The chat demo server, on whichever runtime runs it:
 *
 *   npx node examples/chat/server.ts            (npm start)
 *   npx deno run -A examples/chat/server.ts
 *   npx bun examples/chat/server.ts
 *
 * Flags: --port (default 8080; 0 picks a free one), --hostname (default 127.0.0.1),
 * --redis URL (share rooms with every other instance through Redis), --workers N (run N
 * processes on the port, SO_REUSEPORT; needs --redis so rooms span them), --max-rooms N (live
 * rooms per process, default 1000), --reserve-ms N (how long a nickname waits for its socket to
 * open, default 5000), --stats (adds `GET /stats`: memory after a forced GC and the room count,
 * for tests; never on by default), --no-deflate (no compression; it is on wherever the runtime's
 * adapter can compress: Node and Bun, not Deno's native adapter), --tls-cert FILE --tls-key FILE
 * (https and wss; Node adapter: on Deno and Bun add --adapter node), --http2 (with TLS: HTTP/2
 * too, the page's WebSocket then a stream of its connection, RFC 8441).
 * Prints `chat running at http://HOST:PORT/` (https with TLS) once ready.
 */
import type { RedisBroker } from "../../adapters/redis.ts";
import { startCluster, stopWithPrimary } from "../cluster.ts";
import { adapterFlag, args, exit, flag, onSignal, pid, runtime, serveAny, tlsFlags } from "../serve_any.ts";
import { chatApp, MAX_ROOMS, RESERVE_MS } from "./app.ts";
import { withStats } from "./stats.ts";

const port = Number(flag("port", "8080"));
const hostname = flag("hostname", "127.0.0.1");
const redisUrl = flag("redis", "");
const workers = Number(flag("workers", "1"));
const isWorker = args.includes("--worker");
const maxRooms = wholeNumber("max-rooms", MAX_ROOMS, 1, 1_000_000);
const reserveMs = wholeNumber("reserve-ms", RESERVE_MS, 1, 600_000);
const stats = args.includes("--stats");
const deflate = !args.includes("--no-deflate") && runtime !== "deno";

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
  const limits = ["--max-rooms", String(maxRooms), "--reserve-ms", String(reserveMs), ...(stats ? ["--stats"] : []), ...(deflate ? [] : ["--no-deflate"])];
  const cluster = await startCluster(script, workers, port, ["--hostname", hostname, "--redis", redisUrl, ...limits]);
  console.log(`chat running at http://${hostname}:${cluster.port}/ (${runtime}, ${workers} workers ${cluster.pids.join(" ")}, rooms through ${redisUrl})`);
  for (const signal of ["SIGINT", "SIGTERM"] as const) onSignal(signal, () => void cluster.stop().then(() => exit(0)));
} else {
  const broker = redisUrl ? await connectBroker(redisUrl) : undefined;
  const worker = `${runtime} ${isWorker ? "worker" : "process"} ${pid}`;
  const { app, fetch, rooms, open } = chatApp({ ...(broker ? { broker } : {}), worker, maxRooms, reserveMs, deflate });
  const secure = await tlsFlags();
  const server = await serveAny(app, {
    port,
    hostname,
    fetch: stats ? withStats(fetch, rooms, open) : fetch,
    reusePort: isWorker,
    adapter: adapterFlag(),
    ...secure,
  });
  console.log(`chat running at ${secure.tls ? "https" : "http"}://${server.hostname}:${server.port}/ (${server.runtime})`);
  const stop = () => void server.close().then(() => broker?.close()).then(() => exit(0));
  for (const signal of ["SIGINT", "SIGTERM"] as const) onSignal(signal, stop);
  if (isWorker) stopWithPrimary(stop);
}

function wholeNumber(name: string, fallback: number, min: number, max: number): number {
  const value = Number(flag(name, String(fallback)));
  if (Number.isInteger(value) && value >= min && value <= max) return value;
  console.error(`--${name} takes a whole number from ${min} to ${max}, got ${flag(name, "")}`);
  return exit(2);
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
