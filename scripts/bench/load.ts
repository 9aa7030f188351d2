/**
 * The bench's load client: raw TCP, precomputed masked frames, pipelining, and a frame
 * counter that never copies payloads, so it costs the same for every server. Runs under Node.
 *
 *   node scripts/bench/load.ts --port P --scenario latency|throughput|binary|connect|memory|fanout
 *                              [--seconds S] [--pid SERVER_PID] [--connections N]
 *
 * Prints one JSON object with the scenario's figures.
 */
import { readFileSync } from "node:fs";
import { Client, frame, openMany, sleep } from "./raw_ws.ts";

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : fallback;
};
const port = Number(arg("port", "0"));
const scenario = arg("scenario", "throughput");
const seconds = Number(arg("seconds", "3"));
const pid = Number(arg("pid", "0"));

const TEXT32 = frame(1, Buffer.from("x".repeat(32)));
const BIN64K = frame(2, new Uint8Array(64 * 1024).fill(7));
const CLOSE = frame(8, Uint8Array.of(0x03, 0xe8));

const readRss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) * 1024;
/** The server's RSS after it collected garbage (SIGUSR2, see servers/gc_hook.ts). */
async function rss(): Promise<number> {
  process.kill(pid, "SIGUSR2");
  await sleep(400);
  return readRss();
}

async function latency() {
  const c = await Client.open(port, "/echo");
  const samples: number[] = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end && samples.length < 200_000) {
    const t = performance.now();
    await new Promise<void>((r) => {
      c.onFrame = r;
      c.socket.write(TEXT32);
    });
    samples.push(performance.now() - t);
  }
  c.socket.destroy();
  samples.sort((a, b) => a - b);
  const q = (p: number) => samples[Math.min(samples.length - 1, Math.floor(samples.length * p))]! * 1000;
  return { p50_us: q(0.5), p99_us: q(0.99), samples: samples.length };
}

/** Keeps `inFlight` frames in flight on each of `n` connections for the run; returns frames and bytes received. */
async function pump(path: string, n: number, inFlight: number, payload: Buffer) {
  const clients = await openMany([port], path, n);
  let counting = false;
  for (const c of clients) {
    c.onFrame = () => c.socket.write(payload);
    for (let i = 0; i < inFlight; i++) c.socket.write(payload);
  }
  await sleep(Math.min(1000, seconds * 200)); // warm-up
  const f0 = clients.reduce((s, c) => s + c.frames, 0);
  const b0 = clients.reduce((s, c) => s + c.bytes, 0);
  counting = true;
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const dt = (performance.now() - t0) / 1000;
  const frames = clients.reduce((s, c) => s + c.frames, 0) - f0;
  const bytes = clients.reduce((s, c) => s + c.bytes, 0) - b0;
  for (const c of clients) {
    c.onFrame = undefined;
    c.socket.destroy();
  }
  void counting;
  return { frames, bytes, seconds: dt };
}

async function connectRate() {
  const end = performance.now() + seconds * 1000;
  let done = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (performance.now() < end) {
      const c = await Client.open(port, "/echo");
      await new Promise<void>((r) => {
        c.onFrame = r;
        c.socket.write(TEXT32);
      });
      c.socket.end(CLOSE);
      await new Promise((r) => c.socket.once("close", r));
      done++;
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return { connections_per_s: done / ((performance.now() - t0) / 1000) };
}

async function memory() {
  const n = Number(arg("connections", "10000"));
  await sleep(300);
  // A warm-up round first, the same for every server: the first connections also pay once for
  // compiling the server's code (JIT output is resident memory) and for its caches, which is
  // not what one more connection costs.
  const warm = await openMany([port], "/echo", Math.min(500, n));
  await sleep(200);
  for (const c of warm) c.socket.destroy();
  await sleep(500);
  const before = await rss();
  const clients = await openMany([port], "/echo", n);
  await sleep(500);
  const after = await rss();
  for (const c of clients) c.socket.destroy();
  return { bytes_per_connection: (after - before) / n, connections: n };
}

async function fanout() {
  const n = Number(arg("connections", "1000"));
  const subs = await openMany([port], "/sub", n);
  const pub = await Client.open(port, "/pub");
  await sleep(300);
  const messages = 50;
  const t0 = performance.now();
  const deadline = t0 + 30_000;
  for (let i = 0; i < messages; i++) pub.socket.write(TEXT32);
  while (subs.some((s) => s.frames < messages) && performance.now() < deadline) await sleep(1);
  const dt = (performance.now() - t0) / 1000;
  const delivered = subs.reduce((s, c) => s + Math.min(c.frames, messages), 0);
  for (const c of [...subs, pub]) c.socket.destroy();
  return { deliveries_per_s: delivered / dt, delivered, expected: messages * n };
}

const run: Record<string, () => Promise<object>> = {
  latency,
  throughput: async () => {
    const r = await pump("/echo", 64, 16, TEXT32);
    return { messages_per_s: r.frames / r.seconds };
  },
  binary: async () => {
    const r = await pump("/echo", 8, 4, BIN64K);
    return { mb_per_s: r.bytes / r.seconds / 1e6 };
  },
  connect: connectRate,
  memory,
  fanout,
};
const fn = run[scenario];
if (!fn) throw new Error(`unknown scenario ${scenario}`);
const timeout = setTimeout(() => {
  console.log(JSON.stringify({ error: "timed out" }));
  process.exit(2);
}, (seconds + 60) * 1000);
console.log(JSON.stringify(await fn()));
clearTimeout(timeout);
process.exit(0);
