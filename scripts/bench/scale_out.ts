/**
 * Scale-out scenario: one topic fanned out to N subscribers, on one instance with local topics
 * against the same subscribers spread over instances that share the topic through Redis.
 * Messages/s (deliveries) for a burst, and publish-to-delivery latency (p50, p99) for a paced
 * stream, measured by one load process that is both publisher and every subscriber (one clock).
 *
 *   npm run bench -- --scenario scaleout [--quick]   (a full `npm run bench` runs it too)
 *
 * scripts/bench.ts writes the figures to bench/scale_out.{json,md}.
 */
import { cpus } from "node:os";
import { createClient } from "redis";
import { startRedis } from "../redis_server.ts";
import { type RunningServer, type Runtime, startServer } from "../spawn_server.ts";
import { Client, frame, openMany, sleep } from "./raw_ws.ts";

const SCRIPT = "scripts/bench/servers/rookery.ts";
const TEXT32 = frame(1, Buffer.from("x".repeat(32)));

interface Config {
  label: string;
  runtimes: Runtime[];
  redis: boolean;
}
const CONFIGS: Config[] = [
  { label: "1 instance (node), local topics", runtimes: ["node"], redis: false },
  { label: "1 instance (node), Redis broker on", runtimes: ["node"], redis: true },
  { label: "3 instances (node ×3) through Redis", runtimes: ["node", "node", "node"], redis: true },
  { label: "3 instances (node, deno, bun) through Redis", runtimes: ["node", "deno", "bun"], redis: true },
];

export interface ScaleOutRow {
  label: string;
  subscribers: number;
  deliveries_per_s: number;
  p50_ms: number;
  p99_ms: number;
}

/** Waits (bounded) until every subscriber has `count` frames. */
async function allReached(subs: Client[], count: number, ms = 30_000): Promise<boolean> {
  const end = performance.now() + ms;
  while (subs.some((s) => s.frames < count) && performance.now() < end) await sleep(1);
  return subs.every((s) => s.frames >= count);
}

async function measure(config: Config, redisUrl: string, subscribers: number, rounds: number): Promise<ScaleOutRow> {
  const servers: RunningServer[] = [];
  const probe = createClient({ url: redisUrl });
  probe.on("error", () => {});
  await probe.connect();
  try {
    for (const runtime of config.runtimes) {
      servers.push(await startServer(runtime, SCRIPT, { args: config.redis ? ["--redis", redisUrl] : [] }));
    }
    const subs = await openMany(servers.map((s) => s.port), "/sub", subscribers);
    const pub = await Client.open(servers[0]!.port, "/pub");
    if (config.redis) {
      for (let i = 0; i < 500; i++) {
        const counts = (await probe.pubSubNumSub("rookery:fan")) as Record<string, number>;
        if (Number(counts["rookery:fan"]) === servers.length) break;
        await sleep(10);
      }
    }
    let sent = 0;
    const publish = (n: number) => {
      for (let i = 0; i < n; i++) pub.socket.write(TEXT32);
      sent += n;
    };
    // Warm-up (JIT, Redis connections).
    publish(20);
    if (!(await allReached(subs, sent))) throw new Error(`${config.label}: warm-up messages did not all arrive`);

    // Burst: 50 messages at once, best of the rounds.
    let best = 0;
    for (let r = 0; r < rounds; r++) {
      const t0 = performance.now();
      publish(50);
      if (!(await allReached(subs, sent))) throw new Error(`${config.label}: burst did not all arrive`);
      best = Math.max(best, (50 * subscribers) / ((performance.now() - t0) / 1000));
      await sleep(100);
    }

    // Paced stream: one message every 10 ms; each subscriber's k-th frame is the k-th message.
    // Best p50 and p99 over the rounds, as for the burst.
    let p50 = Infinity;
    let p99 = Infinity;
    for (let r = 0; r < rounds; r++) {
      const paced = 200;
      const base = sent;
      const sentAt: number[] = [];
      const latencies: number[] = [];
      for (const s of subs) s.onFrame = () => void latencies.push(performance.now() - sentAt[s.frames - base - 1]!);
      for (let k = 0; k < paced; k++) {
        sentAt.push(performance.now());
        publish(1);
        await sleep(10);
      }
      if (!(await allReached(subs, sent))) throw new Error(`${config.label}: paced messages did not all arrive`);
      latencies.sort((a, b) => a - b);
      const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]!;
      p50 = Math.min(p50, q(0.5));
      p99 = Math.min(p99, q(0.99));
    }
    for (const c of [...subs, pub]) c.socket.destroy();
    return { label: config.label, subscribers, deliveries_per_s: best, p50_ms: p50, p99_ms: p99 };
  } finally {
    probe.destroy();
    await Promise.all(servers.map((s) => s.stop()));
  }
}

/** Runs every configuration against one private redis-server; returns the rows. */
export async function runScaleOut(quick: boolean): Promise<ScaleOutRow[]> {
  const redis = await startRedis();
  const rows: ScaleOutRow[] = [];
  try {
    for (const config of CONFIGS) {
      process.stdout.write(`scale-out: ${config.label} ...`);
      rows.push(await measure(config, redis.url, quick ? 300 : 600, quick ? 1 : 3));
      process.stdout.write(" done\n");
    }
  } finally {
    await redis.stop();
  }
  return rows;
}

export function renderScaleOut(rows: ScaleOutRow[], quick: boolean): string {
  const one = rows[0]!.deliveries_per_s;
  const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
  const lines = [
    `### Scale-out: one topic, ${rows[0]!.subscribers} subscribers`,
    "",
    `${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, ${quick ? "quick" : "full"} run; redis-server from Debian on 127.0.0.1. ` +
      "Deliveries/s: a burst of 50 messages to every subscriber (best of the rounds). Latency: publish to delivery, " +
      "200 messages one every 10 ms, over every delivery (best of the rounds). All instances, Redis and the load client share the same cores, " +
      "so this measures what the Redis hop costs, not added capacity.",
    "",
    "| setup | deliveries/s | vs 1 instance | p50 latency (ms) | p99 latency (ms) |",
    "|---|---:|---:|---:|---:|",
    ...rows.map((r) => `| ${r.label} | ${fmt(r.deliveries_per_s)} | ×${(r.deliveries_per_s / one).toFixed(2)} | ${r.p50_ms.toFixed(2)} | ${r.p99_ms.toFixed(2)} |`),
    "",
  ];
  return lines.join("\n");
}
