/**
 * Paired, interleaved comparison of two servers, for any scenario that compares them: both are
 * up at once and idle in turn, the load alternates short bursts between them (ABBA: neither
 * always goes first), and each pair of neighbouring bursts gives one ratio. A slow spell of a
 * noisy machine then lands on both sides of a ratio instead of on one server's figure. Ratios
 * are reported by their median and spread (quartiles, lowest and highest) over the pairs.
 *
 * Used by the compression scenario (deflate.ts) and by Rookery against the bare echo (bare.ts).
 * The load runs in the calling process, one clock for both servers.
 */
import type { Buffer } from "node:buffer";
import { readFileSync } from "node:fs";
import { type Client, sleep } from "./raw_ws.ts";

/** The `q` quantile of `xs`, interpolated between neighbours. */
export function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const at = (s.length - 1) * q;
  const lo = Math.floor(at);
  return s[lo]! + (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!) * (at - lo);
}

export const median = (xs: number[]): number => quantile(xs, 0.5);

/** How ratios spread over the pairs: the middle half lies between q1 and q3. */
export interface Spread {
  median: number;
  q1: number;
  q3: number;
  min: number;
  max: number;
}

export function spread(xs: number[]): Spread {
  return { median: median(xs), q1: quantile(xs, 0.25), q3: quantile(xs, 0.75), min: Math.min(...xs), max: Math.max(...xs) };
}

/**
 * Runs `pairs` pairs of bursts, A then B in even pairs and B then A in odd ones. Returns every
 * burst of each side in the order run, and per pair `value(A's burst) / value(B's burst)`.
 */
export async function interleave<R>(
  pairs: number,
  sides: readonly [() => Promise<R>, () => Promise<R>],
  value: (r: R) => number,
): Promise<{ runs: [R[], R[]]; ratios: number[] }> {
  const runs: [R[], R[]] = [[], []];
  const ratios: number[] = [];
  for (let p = 0; p < pairs; p++) {
    const order = p % 2 === 0 ? [0, 1] : [1, 0];
    for (const s of order) runs[s]!.push(await sides[s]!());
    ratios.push(value(runs[0][p]!) / value(runs[1][p]!));
  }
  return { runs, ratios };
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux), or NaN. */
export function cpuSeconds(pid: number): number {
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

export interface PumpOptions {
  inFlight: number;
  seconds: number;
  /** Names the server in errors. */
  who: string;
  /** The next frame a client sends. */
  next: (c: Client) => Buffer;
  /** The server's PID: its CPU time over the measured window is reported. */
  pid?: number;
  /**
   * Batch each client's writes of one tick into one (cork, uncork on the next tick): the frames
   * that answer the replies of one read leave together, as a pipelining client's would, and the
   * load spends less on system calls. Default: false, one write per frame.
   */
  cork?: boolean;
}

export interface PumpResult {
  /** Replies per second over the measured window. */
  messagesPerS: number;
  /** Payload bytes per reply over the window. */
  replyBytes: number;
  /** Every reply of the burst, and those with RSV1 set (compressed). */
  replies: number;
  compressed: number;
  /** Server CPU seconds per second of the window (NaN without a PID), and the load's own. */
  serverCpu: number;
  clientCpu: number;
}

/**
 * Keeps `inFlight` messages in flight on every client for `seconds`, counting replies after a
 * short ramp; then stops refilling and waits until every reply is in, so the next burst (on
 * either server) starts on a quiet machine. Throws if replies are missing.
 */
export async function pump(clients: Client[], o: PumpOptions): Promise<PumpResult> {
  const { inFlight, seconds, who, next } = o;
  let live = true;
  const sent = new Map<Client, number>();
  const corked = new Set<Client>();
  const uncork = (c: Client) => {
    corked.delete(c);
    c.socket.uncork();
  };
  const send = (c: Client) => {
    if (o.cork && !corked.has(c)) {
      corked.add(c);
      c.socket.cork();
      process.nextTick(uncork, c);
    }
    c.socket.write(next(c));
    sent.set(c, sent.get(c)! + 1);
  };
  for (const c of clients) {
    sent.set(c, 0);
    c.frames = 0;
    c.bytes = 0;
    c.compressed = 0;
    c.onFrame = () => {
      if (live) send(c);
    };
    for (let i = 0; i < inFlight; i++) send(c);
  }
  await sleep(Math.min(200, seconds * 250));
  const count = () => clients.reduce((s, c) => s + c.frames, 0);
  const bytes = () => clients.reduce((s, c) => s + c.bytes, 0);
  const f0 = count();
  const b0 = bytes();
  const cpu0 = o.pid === undefined ? Number.NaN : cpuSeconds(o.pid);
  const own0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const frames = count() - f0;
  const dt = (performance.now() - t0) / 1000;
  const cpu1 = o.pid === undefined ? Number.NaN : cpuSeconds(o.pid);
  const own = process.cpuUsage(own0);
  const replyBytes = (bytes() - b0) / frames;
  live = false;
  const deadline = performance.now() + 30_000;
  while (clients.some((c) => c.frames < sent.get(c)!) && performance.now() < deadline) await sleep(5);
  for (const c of clients) c.onFrame = undefined;
  const replies = count();
  const compressed = clients.reduce((s, c) => s + c.compressed, 0);
  if (replies < [...sent.values()].reduce((a, b) => a + b, 0)) throw new Error(`${who}: replies missing after a burst`);
  return {
    messagesPerS: frames / dt,
    replyBytes,
    replies,
    compressed,
    serverCpu: (cpu1 - cpu0) / dt,
    clientCpu: (own.user + own.system) / 1e6 / dt,
  };
}
