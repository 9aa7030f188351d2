/**
 * Rookery on Node against a bare echo (servers/bare_echo.ts: RFC 6455 by hand on node:net, the
 * least a correct echo can do), paired and interleaved (paired.ts): both servers up, short
 * bursts alternating between them (ABBA), one ratio per pair of neighbouring bursts, reported
 * as the median and spread of Rookery's figure over the bare echo's (below 1.00: Rookery is
 * slower). Sub-scenarios:
 *
 * - 50 connections × 32 B text × 16 in flight (small messages, many per read). The client
 *   batches the frames it writes in one tick into one write, as a pipelining client would: with
 *   one write per frame (load.ts) the client and the system calls on both sides are the limit,
 *   and both servers measure the same.
 * - 1 connection × 32 B text, one in flight (round trips: latency-bound)
 * - 10 connections × 16 KiB text × 4 in flight (UTF-8 checks and the string round trip)
 * - 10 connections × 64 KiB binary × 4 in flight (frames across reads, large writes)
 * - handshakes: connect, upgrade, one 32 B echo, close; 8 clients at a time
 *
 * Each client sends 16 different messages in turn (a server that keeps the last message it
 * encoded would otherwise never encode). Beside the rates: each server's CPU time per message over the measured window (from /proc,
 * 10 ms ticks), which stays fair when the load, not the server, is the limit, and the load's own
 * CPU share (near 1.00: the client is the bottleneck and the rate ratio understates the gap).
 *
 *   npm run bench -- --scenario bare [--quick]
 *
 * The load runs in this process, under Node, with the raw client of raw_ws.ts.
 */
import { Buffer } from "node:buffer";
import { type RunningServer, startServer, type Target } from "../spawn_server.ts";
import { cpuSeconds, interleave, median, pump, type Spread, spread } from "./paired.ts";
import { Client, frame, openMany, sleep } from "./raw_ws.ts";

/** Rookery's bench server; `ROOKERY_BENCH_SERVER` names another script in its place (to compare a variant). */
const ROOKERY = process.env.ROOKERY_BENCH_SERVER ?? "scripts/bench/servers/rookery.ts";

/** A server Rookery is measured against, on the same runtime (each echoes on any path). */
export interface Baseline {
  id: string;
  target: Target;
  script: string;
  label: string;
  /** Only these cases (the `id`s of CASES); all of them when left out. */
  cases?: string[];
}

/** Every paired comparison the bench reports: the bare echo first (the floor), then each runtime's raw server or `ws`. */
export const BASELINES: Baseline[] = [
  { id: "node-bare", target: "node", script: "scripts/bench/servers/bare_echo.ts", label: "bare echo" },
  // Where the 64 KiB case's gap to the bare echo comes from (servers/bare_echo_http.ts).
  {
    id: "node-bare-http",
    target: "node",
    script: "scripts/bench/servers/bare_echo_http.ts",
    label: "bare echo with node:http loaded",
    cases: ["binary64k"],
  },
  { id: "node-ws", target: "node", script: "scripts/bench/servers/ws_node.ts", label: "ws" },
  { id: "bun-raw", target: "bun", script: "scripts/bench/servers/bun_raw.ts", label: "raw Bun.serve" },
  { id: "deno-raw", target: "deno", script: "scripts/bench/servers/deno_raw.ts", label: "raw Deno.upgradeWebSocket" },
];
const CLOSE = frame(8, Uint8Array.of(0x03, 0xe8));
const TEXT32 = frame(1, Buffer.from("x".repeat(32)));

/**
 * Each client sends these many different messages in turn: real messages differ, and a server
 * may keep the last one it encoded (Rookery does, for publishing one string to many), which
 * identical messages would hit every time.
 */
const VARIANTS = 16;

/** ASCII text frames of `bytes` bytes, each with its own number in front. */
function texts(bytes: number): Buffer[] {
  const body = "lorem ipsum dolor sit amet, ".repeat(Math.ceil(bytes / 28));
  return Array.from({ length: VARIANTS }, (_, k) => frame(1, Buffer.from(`#${k.toString(16)} ${body}`.slice(0, bytes))));
}

interface Case {
  id: string;
  title: string;
  /** Connections at once (for handshakes: clients connecting in a loop). */
  connections: number;
  inFlight: number;
  /** The frames a client sends, in turn; none for handshakes. */
  frames?: Buffer[];
  /** The client batches the writes of one tick (paired.ts `pump`). */
  cork?: boolean;
  unit: string;
}

const CASES: Case[] = [
  {
    id: "small",
    title: "50 conns × 32 B text × 16 in flight, client writes batched per tick",
    connections: 50,
    inFlight: 16,
    frames: texts(32),
    cork: true,
    unit: "msg/s",
  },
  { id: "single", title: "1 conn × 32 B text, 1 in flight", connections: 1, inFlight: 1, frames: texts(32), unit: "msg/s" },
  { id: "text16k", title: "10 conns × 16 KiB text × 4 in flight", connections: 10, inFlight: 4, frames: texts(16 * 1024), unit: "msg/s" },
  {
    id: "binary64k",
    title: "10 conns × 64 KiB binary × 4 in flight",
    connections: 10,
    inFlight: 4,
    frames: Array.from({ length: VARIANTS }, (_, k) => frame(2, new Uint8Array(64 * 1024).map((_, i) => (i * 7 + k) & 0xff))),
    unit: "msg/s",
  },
  { id: "handshake", title: "handshakes: connect, upgrade, one 32 B echo, close (8 at a time)", connections: 8, inFlight: 1, unit: "handshakes/s" },
];

/** One burst's figures. */
interface Figures {
  perS: number;
  /** Server CPU microseconds per message (or handshake). */
  cpuUs: number;
  /** The load's CPU share over the burst (1 = one core). */
  clientCpu: number;
  /** The server's CPU share over the burst. */
  serverCpu: number;
}

export interface BareRow extends Spread {
  /** The baseline's `id` and label (the `bare_*` fields are its figures). */
  baseline: string;
  baselineLabel: string;
  id: string;
  title: string;
  unit: string;
  connections: number;
  inFlight: number;
  pairs: number;
  secondsPerBurst: number;
  /** Medians over the bursts. */
  rookery_per_s: number;
  bare_per_s: number;
  rookery_bursts: number[];
  bare_bursts: number[];
  /** Rookery over the bare echo, per pair of bursts, in the order run. */
  ratios: number[];
  /** Server CPU µs per message, medians over the bursts, and Rookery over bare per pair. */
  rookery_cpu_us: number;
  bare_cpu_us: number;
  cpu_ratio: Spread;
  /** CPU shares (1 = one core), medians over the bursts. */
  rookery_server_cpu: number;
  bare_server_cpu: number;
  load_cpu: number;
}

/** As many handshakes as 8 clients in a loop complete in `seconds`: connect, upgrade, one echo, close. */
async function handshakes(port: number, pid: number, seconds: number, workers: number, who: string): Promise<Figures> {
  let done = 0;
  const end = performance.now() + seconds * 1000;
  const cpu0 = cpuSeconds(pid);
  const own0 = process.cpuUsage();
  const t0 = performance.now();
  const worker = async () => {
    while (performance.now() < end) {
      const c = await Client.open(port, "/echo");
      await new Promise<void>((resolve, reject) => {
        c.socket.once("error", (error) => reject(new Error(`${who}: ${error.message}`)));
        c.onFrame = () => {
          c.onFrame = undefined;
          c.socket.once("close", () => resolve());
          c.socket.end(CLOSE);
        };
        c.socket.write(TEXT32);
      });
      done++;
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  const dt = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(pid) - cpu0;
  const own = process.cpuUsage(own0);
  return { perS: done / dt, cpuUs: (cpu / done) * 1e6, clientCpu: (own.user + own.system) / 1e6 / dt, serverCpu: cpu / dt };
}

/** Where each client is in its case's frames; clients start at different places. */
const cursor = new WeakMap<Client, number>();

interface Side {
  who: string;
  server: RunningServer;
  clients: Client[];
}

function burst(c: Case, side: Side, seconds: number): () => Promise<Figures> {
  const pid = side.server.child.pid!;
  const frames = c.frames;
  if (!frames) return () => handshakes(side.server.port, pid, seconds, c.connections, side.who);
  const next = (client: Client) => {
    const k = cursor.get(client) ?? 0;
    cursor.set(client, k + 1);
    return frames[k % frames.length]!;
  };
  return async () => {
    const r = await pump(side.clients, { inFlight: c.inFlight, seconds, who: side.who, next, pid, cork: c.cork ?? false });
    return { perS: r.messagesPerS, cpuUs: (r.serverCpu / r.messagesPerS) * 1e6, clientCpu: r.clientCpu, serverCpu: r.serverCpu };
  };
}

/** Every sub-scenario, Rookery and the bare echo both up throughout. */
export async function runBare(quick: boolean, only?: string, baseline: Baseline = BASELINES[0]!): Promise<BareRow[]> {
  if (only !== undefined && !CASES.some((c) => c.id === only)) throw new Error(`no bare case "${only}": ${CASES.map((c) => c.id).join(", ")}`);
  const cases = CASES.filter((c) => (only === undefined || c.id === only) && (baseline.cases?.includes(c.id) ?? true));
  if (cases.length === 0) return [];
  const pairs = quick ? 4 : 16;
  const seconds = quick ? 0.4 : 1;
  const servers: RunningServer[] = [];
  const rows: BareRow[] = [];
  try {
    servers.push(await startServer(baseline.target, ROOKERY));
    servers.push(await startServer(baseline.target, baseline.script));
    const [rookery, bare] = servers as [RunningServer, RunningServer];
    for (const c of cases) {
      process.stdout.write(`${baseline.id}: ${c.title} ...`);
      const sides: [Side, Side] = [
        { who: `${baseline.target} Rookery`, server: rookery, clients: [] },
        { who: `${baseline.target} ${baseline.label}`, server: bare, clients: [] },
      ];
      try {
        if (c.frames) {
          for (const side of sides) {
            side.clients = await openMany([side.server.port], "/echo", c.connections);
            side.clients.forEach((client, i) => cursor.set(client, i * 5));
          }
        }
        const runs = [burst(c, sides[0], seconds), burst(c, sides[1], seconds)] as const;
        // Warm-up (JIT, socket buffers), discarded.
        for (const run of runs) await run();
        const { runs: [r, b], ratios } = await interleave(pairs, runs, (f) => f.perS);
        const cpuRatios = r.map((x, i) => x.cpuUs / b[i]!.cpuUs);
        rows.push({
          baseline: baseline.id,
          baselineLabel: baseline.label,
          id: c.id,
          title: c.title,
          unit: c.unit,
          connections: c.connections,
          inFlight: c.inFlight,
          pairs,
          secondsPerBurst: seconds,
          rookery_per_s: median(r.map((x) => x.perS)),
          bare_per_s: median(b.map((x) => x.perS)),
          rookery_bursts: r.map((x) => Math.round(x.perS)),
          bare_bursts: b.map((x) => Math.round(x.perS)),
          ratios,
          ...spread(ratios),
          rookery_cpu_us: median(r.map((x) => x.cpuUs)),
          bare_cpu_us: median(b.map((x) => x.cpuUs)),
          cpu_ratio: spread(cpuRatios),
          rookery_server_cpu: median(r.map((x) => x.serverCpu)),
          bare_server_cpu: median(b.map((x) => x.serverCpu)),
          load_cpu: median([...r, ...b].map((x) => x.clientCpu)),
        });
      } finally {
        for (const side of sides) for (const client of side.clients) client.socket.destroy();
      }
      process.stdout.write(" done\n");
      await sleep(200);
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
  return rows;
}

const num = (n: number) => Math.round(n).toLocaleString("en-US");
const us = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(2));

export function renderBare(rows: BareRow[], quick: boolean): string {
  const lines: string[] = [];
  for (const baseline of BASELINES) {
    const mine = rows.filter((r) => r.baseline === baseline.id);
    if (mine.length > 0) lines.push(...renderTable(baseline, mine, quick));
  }
  return lines.join("\n");
}

function renderTable(baseline: Baseline, rows: BareRow[], quick: boolean): string[] {
  const them = baseline.label;
  const bareNote =
    baseline.id === "node-bare"
      ? "The bare echo (scripts/bench/servers/bare_echo.ts) is RFC 6455 by hand on node:net: strict, but nothing more than an echo needs. "
      : baseline.id === "node-bare-http"
        ? "The same bare echo in a process that has loaded node:http, as Rookery's has (scripts/bench/servers/bare_echo_http.ts): " +
          "every major collection marks node:http's part of the heap too. "
        : "";
  const lines = [
    `### Rookery on ${baseline.target} against ${them}, ${new Date().toISOString().slice(0, 10)}, ${quick ? "quick" : "full"} run`,
    "",
    bareNote +
      `Both servers up; paired bursts alternating between them (ABBA). Ratio = Rookery's rate over ${them}'s in neighbouring bursts ` +
      "(above 1.00 is better). CPU = the server's CPU time per message (or handshake) over the measured window; its ratio is Rookery's " +
      `over ${them}'s per pair (above 1.00: Rookery spends more). Load CPU near 1.00 means the client was the limit.`,
    "",
    `| scenario | Rookery | ${them} | ratio: median | middle half (q1–q3) | min–max | CPU µs/msg Rookery / ${them} | CPU ratio: median (q1–q3) | server CPU Rookery / ${them} | load CPU | pairs × s |`,
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.title} (${r.unit}) | ${num(r.rookery_per_s)} | ${num(r.bare_per_s)} | **×${r.median.toFixed(2)}** | ${r.q1.toFixed(2)}–${r.q3.toFixed(2)} | ` +
        `${r.min.toFixed(2)}–${r.max.toFixed(2)} | ${us(r.rookery_cpu_us)} / ${us(r.bare_cpu_us)} | ×${r.cpu_ratio.median.toFixed(2)} ` +
        `(${r.cpu_ratio.q1.toFixed(2)}–${r.cpu_ratio.q3.toFixed(2)}) | ${r.rookery_server_cpu.toFixed(2)} / ${r.bare_server_cpu.toFixed(2)} | ` +
        `${r.load_cpu.toFixed(2)} | ${r.pairs} × ${r.secondsPerBurst} |`,
    );
  }
  lines.push("");
  return lines;
}
