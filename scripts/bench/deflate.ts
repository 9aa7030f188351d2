/**
 * Compression scenarios (permessage-deflate), Rookery against a baseline on the same runtime,
 * both compressing with the same settings (see servers/ws_node.ts, servers/bun_raw.ts and
 * servers/rookery.ts; DEFLATE_PAIRS below):
 *
 * - `deflate`: echo throughput of 1 KiB chat-like JSON, compressed both ways, 64 connections with
 *   16 messages in flight each. Both servers run at once, idle in turn; the load alternates short
 *   bursts between them (ABBA), and each pair of neighbouring bursts gives one ratio, so a slow
 *   spell of a noisy machine lands on both sides of a ratio instead of on one server's figure.
 *   Reported as the median ratio and its spread (quartiles, lowest and highest) over the pairs
 *   (the pairing is paired.ts, shared with the bare-echo scenario).
 * - `deflate-memory`: what one compressed connection keeps once idle (Node: Rookery vs ws), per
 *   connection over 200, from the server's own figures after collecting garbage: RSS, which is
 *   where zlib's contexts show (native memory, reported neither in the heap nor in V8's external
 *   memory), the heap, and array buffers (each node:zlib stream's 16 KiB output buffer). Also
 *   measured: after the handshake, before any message (contexts are made on first use), and after
 *   closing (they must be given back; the allocator keeps some of it).
 *
 *   npm run bench -- --scenario deflate [--runtime node] [--quick]
 *   npm run bench -- --scenario deflate-memory [--quick]
 *
 * The load runs in this process (one clock for both servers of a pair); the frames it sends
 * are deflated once up front, and it counts the replies without inflating them.
 */
import { type RunningServer, type Runtime, startServer } from "../spawn_server.ts";
import { chatMessages, compressedFrames, DEFLATE_OFFER } from "./chat_json.ts";
import { interleave, median, pump, spread } from "./paired.ts";
import { type Client, frame, openMany, sleep } from "./raw_ws.ts";

const ROOKERY = "scripts/bench/servers/rookery.ts";
const WS = "scripts/bench/servers/ws_node.ts";

/** A throughput pair: Rookery on `runtime` against this baseline. */
export interface DeflatePair {
  runtime: Runtime;
  baseline: string;
  script: string;
  args: string[];
}

/**
 * On Bun, Rookery with context takeover gets Bun's dedicated 256KB/32KB compressor and
 * decompressor per connection; `perMessageDeflate: true` is Bun's shared pair, which keeps no
 * context (smaller memory, larger messages). Both are here: the first is like for like.
 */
export const DEFLATE_PAIRS: DeflatePair[] = [
  { runtime: "node", baseline: "ws", script: WS, args: ["--deflate"] },
  { runtime: "bun", baseline: "raw Bun.serve, dedicated 256KB/32KB", script: "scripts/bench/servers/bun_raw.ts", args: ["--deflate-dedicated"] },
  { runtime: "bun", baseline: "raw Bun.serve, perMessageDeflate: true (shared)", script: "scripts/bench/servers/bun_raw.ts", args: ["--deflate"] },
];
const CLOSE = frame(8, Uint8Array.of(0x03, 0xe8));
const MESSAGE_BYTES = 1024;
const FRAMES = compressedFrames(chatMessages(64, MESSAGE_BYTES));

export interface DeflateThroughputRow {
  runtime: Runtime;
  candidate: string;
  baseline: string;
  connections: number;
  inFlight: number;
  pairs: number;
  secondsPerBurst: number;
  /** Medians over the bursts, messages echoed per second. */
  candidate_messages_per_s: number;
  baseline_messages_per_s: number;
  /** Messages/s of each burst, in the order run. */
  candidate_bursts: number[];
  baseline_bursts: number[];
  /** Candidate over baseline, one per pair of bursts, in the order run. */
  ratios: number[];
  median: number;
  /** Quartiles of the ratios: the middle half of the pairs lies between them. */
  q1: number;
  q3: number;
  min: number;
  max: number;
  /** Reply bytes per message on the wire (compressed payload), each side. */
  candidate_reply_bytes: number;
  baseline_reply_bytes: number;
}

export interface DeflateSkip {
  runtime: Runtime;
  baseline: string;
  skipped: string;
}

/**
 * Where each connection is in the pool, across bursts: it walks all 64 messages in turn, so its
 * compressor never finds a whole message still in its 32 KiB window, and sees the same sequence
 * whichever server is faster. Connections start at different places.
 */
const cursor = new WeakMap<Client, number>();

/** Opens `n` connections offering permessage-deflate; throws unless every one agreed to it. */
async function openCompressed(port: number, n: number, who: string): Promise<Client[]> {
  const clients = await openMany([port], "/echo", n, 100, DEFLATE_OFFER);
  const refused = clients.filter((c) => !c.extensions.startsWith("permessage-deflate"));
  if (refused.length > 0) {
    for (const c of clients) c.socket.destroy();
    throw new Error(`${who}: ${refused.length} of ${n} connections without permessage-deflate (answer: ${JSON.stringify(refused[0]!.extensions)})`);
  }
  clients.forEach((c, i) => cursor.set(c, i * 13));
  return clients;
}

interface Burst {
  messagesPerS: number;
  replyBytes: number;
}

/** One burst of compressed messages (paired.ts `pump`); throws unless every reply was compressed. */
async function burst(clients: Client[], inFlight: number, seconds: number, who: string): Promise<Burst> {
  const next = (c: Client) => {
    const k = cursor.get(c) ?? 0;
    cursor.set(c, k + 1);
    return FRAMES[k % FRAMES.length]!;
  };
  const r = await pump(clients, { inFlight, seconds, who, next });
  // Comparable only if both really compressed every reply.
  if (r.compressed !== r.replies) throw new Error(`${who}: ${r.replies - r.compressed} of ${r.replies} replies were not compressed`);
  return { messagesPerS: r.messagesPerS, replyBytes: r.replyBytes };
}

/** One pair: Rookery and the baseline, both compressing, in alternating bursts. */
export async function runDeflateThroughput(pair: DeflatePair, quick: boolean): Promise<DeflateThroughputRow | DeflateSkip> {
  const { runtime } = pair;
  const skip = (skipped: string): DeflateSkip => ({ runtime, baseline: pair.baseline, skipped });
  const connections = 64;
  const inFlight = 16;
  const pairs = quick ? 4 : 20;
  const seconds = quick ? 0.4 : 1;
  const servers: RunningServer[] = [];
  const clients: Client[][] = [];
  try {
    let rookery: RunningServer;
    try {
      rookery = await startServer(runtime, ROOKERY, { args: ["--deflate"] });
    } catch (error) {
      return skip(`Rookery did not start with compression: ${String(error).split("\n")[0]}`);
    }
    servers.push(rookery);
    const probe = await openMany([rookery.port], "/echo", 1, 1, DEFLATE_OFFER);
    probe[0]!.socket.destroy();
    if (!probe[0]!.extensions.startsWith("permessage-deflate")) {
      return skip(`Rookery's ${runtime} adapter does not negotiate permessage-deflate (yet)`);
    }
    const baseline = await startServer(runtime, pair.script, { args: pair.args });
    servers.push(baseline);
    const sides = [
      { who: `${runtime} Rookery`, clients: await openCompressed(rookery.port, connections, `${runtime} Rookery`) },
      { who: `${runtime} ${pair.baseline}`, clients: await openCompressed(baseline.port, connections, `${runtime} ${pair.baseline}`) },
    ];
    clients.push(...sides.map((s) => s.clients));
    // Warm-up (JIT, zlib contexts, socket buffers), discarded.
    for (const side of sides) await burst(side.clients, inFlight, seconds, side.who);
    const run = (side: (typeof sides)[number]) => () => burst(side.clients, inFlight, seconds, side.who);
    const { runs, ratios } = await interleave(pairs, [run(sides[0]!), run(sides[1]!)], (r) => r.messagesPerS);
    const [c, b] = runs;
    return {
      runtime,
      candidate: "Rookery",
      baseline: pair.baseline,
      connections,
      inFlight,
      pairs,
      secondsPerBurst: seconds,
      candidate_messages_per_s: median(c.map((r) => r.messagesPerS)),
      baseline_messages_per_s: median(b.map((r) => r.messagesPerS)),
      candidate_bursts: c.map((r) => Math.round(r.messagesPerS)),
      baseline_bursts: b.map((r) => Math.round(r.messagesPerS)),
      ratios,
      ...spread(ratios),
      candidate_reply_bytes: median(c.map((r) => r.replyBytes)),
      baseline_reply_bytes: median(b.map((r) => r.replyBytes)),
    };
  } finally {
    for (const c of clients.flat()) c.socket.destroy();
    await Promise.all(servers.map((s) => s.stop()));
  }
}

export interface Memory {
  rss: number;
  heapUsed: number;
  arrayBuffers: number;
  external: number;
}

/** The server's memory after it collected garbage (SIGUSR2 and its MEMORY line, servers/gc_hook.ts). */
export async function serverMemory(server: RunningServer): Promise<Memory> {
  const lines = () => server.output().match(/^MEMORY .*$/gm) ?? [];
  const seen = lines().length;
  process.kill(server.child.pid!, "SIGUSR2");
  const deadline = performance.now() + 10_000;
  while (lines().length === seen) {
    if (performance.now() > deadline) throw new Error(`no memory figures from the server:\n${server.output()}`);
    await sleep(10);
  }
  return JSON.parse(lines()[seen]!.slice("MEMORY ".length)) as Memory;
}

const perConnection = (a: Memory, b: Memory, n: number): Memory => ({
  rss: (b.rss - a.rss) / n,
  heapUsed: (b.heapUsed - a.heapUsed) / n,
  arrayBuffers: (b.arrayBuffers - a.arrayBuffers) / n,
  external: (b.external - a.external) / n,
});

export interface DeflateMemoryRow {
  runtime: Runtime;
  server: string;
  connections: number;
  messages: number;
  rounds: number;
  /** Per connection, medians over the rounds (fresh process each), against the same process before connecting. */
  negotiated: Memory;
  idle: Memory;
  afterClose: Memory;
  /** Idle RSS per connection in each round, in the order run. */
  idleRss: number[];
}

/** One round on a fresh server: before, after the handshakes, after a few messages, after closing. */
async function memoryRound(script: string, connections: number, messages: number, who: string) {
  const server = await startServer("node", script, { args: ["--deflate", "--keep-bytecode"], exposeGc: true });
  let clients: Client[] = [];
  try {
    await sleep(300);
    const before = await serverMemory(server);
    clients = await openCompressed(server.port, connections, who);
    await sleep(300);
    const negotiated = await serverMemory(server);
    for (const c of clients) {
      for (let k = 0; k < messages; k++) c.socket.write(FRAMES[(cursor.get(c)! + k) % FRAMES.length]!);
    }
    const deadline = performance.now() + 30_000;
    while (clients.some((c) => c.frames < messages) && performance.now() < deadline) await sleep(5);
    const compressed = clients.reduce((s, c) => s + c.compressed, 0);
    if (compressed !== connections * messages) throw new Error(`${who}: ${compressed} of ${connections * messages} replies compressed`);
    await sleep(300);
    const idle = await serverMemory(server);
    await Promise.all(
      clients.map((c) => {
        const closed = new Promise((r) => c.socket.once("close", r));
        c.socket.end(CLOSE);
        return closed;
      }),
    );
    await sleep(500);
    const afterClose = await serverMemory(server);
    return {
      negotiated: perConnection(before, negotiated, connections),
      idle: perConnection(before, idle, connections),
      afterClose: perConnection(before, afterClose, connections),
    };
  } finally {
    for (const c of clients) c.socket.destroy();
    await server.stop();
  }
}

export async function runDeflateMemory(quick: boolean): Promise<DeflateMemoryRow[]> {
  const connections = 200;
  const messages = 3;
  const rounds = quick ? 1 : 5;
  const specs = [
    { server: "ws", script: WS },
    { server: "Rookery", script: ROOKERY },
  ];
  const runs = new Map<string, Awaited<ReturnType<typeof memoryRound>>[]>();
  for (let r = 0; r < rounds; r++) {
    for (const spec of r % 2 === 0 ? specs : [...specs].reverse()) {
      process.stdout.write(`deflate-memory: round ${r + 1}: node ${spec.server} ...`);
      const list = runs.get(spec.server) ?? [];
      list.push(await memoryRound(spec.script, connections, messages, `node ${spec.server}`));
      runs.set(spec.server, list);
      process.stdout.write(" done\n");
    }
  }
  const med = (list: Memory[]): Memory => ({
    rss: median(list.map((m) => m.rss)),
    heapUsed: median(list.map((m) => m.heapUsed)),
    arrayBuffers: median(list.map((m) => m.arrayBuffers)),
    external: median(list.map((m) => m.external)),
  });
  return specs.map(({ server }) => {
    const list = runs.get(server)!;
    return {
      runtime: "node" as const,
      server,
      connections,
      messages,
      rounds,
      negotiated: med(list.map((x) => x.negotiated)),
      idle: med(list.map((x) => x.idle)),
      afterClose: med(list.map((x) => x.afterClose)),
      idleRss: list.map((x) => x.idle.rss),
    };
  });
}

const num = (n: number) => Math.round(n).toLocaleString("en-US");
const kib = (n: number) => `${(n / 1024).toFixed(1)}`;

export function renderDeflate(throughput: (DeflateThroughputRow | DeflateSkip)[], memory: DeflateMemoryRow[], quick: boolean): string {
  const lines = [`### Compression (permessage-deflate), ${new Date().toISOString().slice(0, 10)}, ${quick ? "quick" : "full"} run`, ""];
  if (throughput.length > 0) {
    lines.push(
      `Echo of ${MESSAGE_BYTES} B chat-like JSON messages, compressed both ways (threshold 0, zlib level 1, memLevel 8, 15-bit windows, context takeover; ` +
        "on Bun, Bun's own zlib: no level or memLevel), paired bursts alternating between the two servers (ABBA). " +
        "Ratio = Rookery's messages/s over the baseline's in neighbouring bursts; above 1.00 is better. Medians of the bursts for msg/s.",
      "",
      "| runtime | baseline | Rookery (msg/s) | baseline (msg/s) | ratio: median | middle half (q1–q3) | min–max | pairs × s | reply bytes (Rookery / baseline) |",
      "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    );
    for (const row of throughput) {
      if ("skipped" in row) {
        lines.push(`| ${row.runtime} | ${row.baseline} | – | – | – | skipped: ${row.skipped} | – | – | – |`);
        continue;
      }
      lines.push(
        `| ${row.runtime} | ${row.baseline} | ${num(row.candidate_messages_per_s)} | ${num(row.baseline_messages_per_s)} | **×${row.median.toFixed(2)}** | ` +
          `${row.q1.toFixed(2)}–${row.q3.toFixed(2)} | ${row.min.toFixed(2)}–${row.max.toFixed(2)} | ${row.pairs} × ${row.secondsPerBurst} | ${row.candidate_reply_bytes.toFixed(0)} / ${row.baseline_reply_bytes.toFixed(0)} |`,
      );
    }
    lines.push("");
  }
  if (memory.length > 0) {
    const m = memory[0]!;
    const ws = memory.find((r) => r.server === "ws");
    lines.push(
      `Memory per compressed connection on Node, ${m.connections} connections, KiB per connection against the same server before connecting, ` +
        `after collecting garbage; medians of ${m.rounds} fresh process(es), idle RSS with its range. Idle = after ${m.messages} compressed messages each way. ` +
        "zlib's contexts are native memory: RSS shows them, the heap does not; arrayBuffers holds node:zlib's 16 KiB output buffer per stream. " +
        "Ratio = ws's idle RSS over the server's (above 1.00: less memory).",
      "",
      "| server | negotiated, no message: RSS | idle: RSS (range) | ratio | idle: heap | idle: arrayBuffers | after close: RSS | after close: arrayBuffers |",
      "|---|---:|---:|---:|---:|---:|---:|---:|",
      ...memory.map((r) => {
        const range = `${kib(Math.min(...r.idleRss))}–${kib(Math.max(...r.idleRss))}`;
        const ratio = ws && r !== ws ? `×${(ws.idle.rss / r.idle.rss).toFixed(2)}` : "–";
        return `| ${r.server} | ${kib(r.negotiated.rss)} | ${kib(r.idle.rss)} (${range}) | ${ratio} | ${kib(r.idle.heapUsed)} | ${kib(r.idle.arrayBuffers)} | ` +
          `${kib(r.afterClose.rss)} | ${kib(r.afterClose.arrayBuffers)} |`;
      }),
      "",
    );
  }
  return lines.join("\n");
}
