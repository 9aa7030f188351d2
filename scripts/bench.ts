/**
 * Benchmarks, side by side and as ratios to each runtime's raw baseline, in one run:
 * Rookery on Node vs `ws`, Rookery on Bun vs raw `Bun.serve`, Rookery on Deno vs raw
 * `Deno.upgradeWebSocket`, with crossws and Hono's WebSocket helper beside them.
 *
 *   npm run bench              (about 35 minutes: 2 rounds, 2 s per scenario, then every paired comparison)
 *   npm run bench -- --quick   (about a minute: 1 round, short scenarios, fewer connections)
 *   npm run bench -- --runtime node --scenario connect   (a subset)
 *   npm run bench -- --scenario scaleout   (only the Redis scale-out scenario)
 *   npm run bench -- --scenario deflate    (compression: 1 KiB JSON echo, Rookery vs ws / Bun.serve)
 *   npm run bench -- --scenario deflate-memory   (compression: memory per idle connection, Node)
 *   npm run bench -- --scenario bare       (Rookery on Node vs a bare node:net echo, paired bursts)
 *   npm run bench -- --scenario bare --case binary64k   (one of its cases: small, single, text16k, binary64k, handshake)
 *   npm run bench -- --scenario http2      (WebSockets over HTTP/2 vs wss:// over HTTP/1.1: opens per second, memory)
 *   npm run bench -- --scenario paired     (the same paired bursts against ws on Node, raw Bun.serve, raw Deno,
 *                                           and the bare echo with node:http loaded (64 KiB case only);
 *                                           --baseline node-bare|node-bare-http|node-ws|bun-raw|deno-raw for one, --case for one case)
 *   npm run bench -- --out DIR             (write the reports to DIR instead of bench/)
 *   ROOKERY_BENCH_SERVER=FILE npm run bench -- --scenario paired   (FILE in place of Rookery's
 *                                           server in the paired comparisons: to measure a variant)
 *
 * Each server runs in its own process on 127.0.0.1 (stopped by PID); the load client
 * (scripts/bench/load.ts) runs in another process, under Node, the same for every server.
 * Writes bench/results.json, bench/results.md and bench/ratios.svg (into `--out DIR` if given,
 * as every report below); then the scale-out scenario
 * (scripts/bench/scale_out.ts: one topic through Redis across instances) writes
 * bench/scale_out.{json,md}; and the compression scenarios (scripts/bench/deflate.ts: paired
 * bursts, ratios as median and spread) write bench/deflate.{json,md}; and the paired comparisons
 * (scripts/bench/bare.ts: 32 B, 16 KiB text, 64 KiB binary, handshakes) of Rookery on Node
 * against a bare RFC 6455 echo on node:net and against `ws`, on Bun against raw `Bun.serve`, on
 * Deno against raw `Deno.upgradeWebSocket`, write bench/paired.{json,md} (`--scenario bare`
 * alone writes bench/bare.{json,md}).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join, resolve } from "node:path";
import { renderMarkdown, renderSvg, type Results, SCENARIOS } from "./bench/report.ts";
import { renderScaleOut, runScaleOut } from "./bench/scale_out.ts";
import {
  DEFLATE_PAIRS,
  type DeflateMemoryRow,
  type DeflateSkip,
  type DeflateThroughputRow,
  renderDeflate,
  runDeflateMemory,
  runDeflateThroughput,
} from "./bench/deflate.ts";
import { BASELINES, type BareRow, renderBare, runBare } from "./bench/bare.ts";
import { renderHttp2, runHttp2 } from "./bench/http2.ts";
import { type Runtime, startServer } from "./spawn_server.ts";

const root = resolve(import.meta.dirname, "..");
const quick = process.argv.includes("--quick");
/** `--runtime node` or `--scenario connect`: run a subset (the report then holds only that). */
const only = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const onlyRuntime = only("runtime");
const onlyScenario = only("scenario");
const out = resolve(only("out") ?? join(root, "bench"));
const rounds = quick ? 1 : 2;
const seconds = quick ? 0.5 : 2;
/**
 * Idle connections opened for the memory scenario. RSS moves by a few MiB between runs whatever
 * the server does (allocator arenas, the collector's timing): over 2,000 connections that swung a
 * ratio by 30 %; over 10,000, two runs of one server differ by 4 % at most (`ws`: 12 %).
 */
const memoryConnections = quick ? 1000 : 10_000;

interface ServerSpec {
  runtime: Runtime;
  name: "rookery" | "baseline" | "crossws" | "hono";
  label: string;
  script: string;
}
const servers: ServerSpec[] = [];
const baselines: Record<Runtime, [string, string]> = {
  node: ["ws", "scripts/bench/servers/ws_node.ts"],
  bun: ["raw Bun.serve", "scripts/bench/servers/bun_raw.ts"],
  deno: ["raw Deno.upgradeWebSocket", "scripts/bench/servers/deno_raw.ts"],
};
for (const runtime of ["node", "bun", "deno"] as const) {
  if (onlyRuntime && runtime !== onlyRuntime) continue;
  servers.push({ runtime, name: "baseline", label: baselines[runtime][0], script: baselines[runtime][1] });
  servers.push({ runtime, name: "rookery", label: "Rookery", script: "scripts/bench/servers/rookery.ts" });
  servers.push({ runtime, name: "crossws", label: "crossws", script: "scripts/bench/servers/crossws.ts" });
  servers.push({ runtime, name: "hono", label: "Hono", script: "scripts/bench/servers/hono.ts" });
}

function load(port: number, pid: number, scenario: string): Record<string, number> {
  const extra = scenario === "memory" ? ["--connections", String(memoryConnections)] : scenario === "fanout" ? ["--connections", "1000"] : [];
  const out = execFileSync(
    process.execPath,
    [join(root, "scripts/bench/load.ts"), "--port", String(port), "--pid", String(pid), "--scenario", scenario, "--seconds", String(seconds), ...extra],
    { encoding: "utf8", timeout: (seconds + 90) * 1000 },
  );
  return JSON.parse(out.trim().split("\n").at(-1)!) as Record<string, number>;
}

const results: Results = {};
const better = (metric: string) => (metric === "p50_us" || metric === "p99_us" || metric === "bytes_per_connection" ? Math.min : Math.max);

// Scenarios with their own runner and report, outside the per-server table.
const scaleOutOnly = onlyScenario === "scaleout";
const deflateOnly = onlyScenario === "deflate" || onlyScenario === "deflate-memory";
const bareOnly = onlyScenario === "bare";
const pairedOnly = onlyScenario === "paired";
const http2Only = onlyScenario === "http2";
const tableSkipped = scaleOutOnly || deflateOnly || bareOnly || pairedOnly || http2Only;
for (let round = 1; round <= (tableSkipped ? 0 : rounds); round++) {
  // Alternate the order, so no server always runs first (cold machine) or last (warm one).
  const order = round % 2 === 1 ? servers : [...servers].reverse();
  for (const spec of order) {
    const key = `${spec.runtime}/${spec.name}`;
    process.stdout.write(`round ${round}: ${spec.runtime} ${spec.label} ...`);
    const server = await startServer(spec.runtime, spec.script, { exposeGc: true });
    try {
      const row = (results[key] ??= { runtime: spec.runtime, name: spec.name, label: spec.label, metrics: {} });
      // Memory first, on a fresh process; then a discarded warm-up (JIT) before the timed scenarios.
      const ordered = [...SCENARIOS].sort((a, b) => Number(b.id === "memory") - Number(a.id === "memory"));
      for (const scenario of ordered.filter((s) => !onlyScenario || s.id === onlyScenario)) {
        if (scenario.id === "latency") load(server.port, server.child.pid!, "throughput");
        const figures = load(server.port, server.child.pid!, scenario.id);
        const value = figures[scenario.metric];
        if (typeof value !== "number" || !Number.isFinite(value)) throw new Error(`${key} ${scenario.id}: ${JSON.stringify(figures)}`);
        const prev = row.metrics[scenario.metric];
        row.metrics[scenario.metric] = prev === undefined ? value : better(scenario.metric)(prev, value);
        if (scenario.id === "latency") row.metrics.p99_us = Math.min(row.metrics.p99_us ?? Infinity, figures.p99_us!);
      }
      process.stdout.write(" done\n");
    } finally {
      await server.stop();
    }
  }
}

const versions = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).devDependencies as Record<string, string>;
const meta = {
  date: new Date().toISOString().slice(0, 10),
  cores: cpus().length,
  cpu: cpus()[0]?.model ?? "unknown",
  mode: quick ? "quick" : "full",
  rounds,
  secondsPerScenario: seconds,
  versions: { node: versions.node, bun: versions.bun, deno: versions.deno, ws: versions.ws, crossws: versions.crossws, hono: versions.hono, redis: versions.redis },
};
mkdirSync(out, { recursive: true });
if (!tableSkipped) {
  writeFileSync(join(out, "results.json"), `${JSON.stringify({ meta, results }, null, 2)}\n`);
  writeFileSync(join(out, "results.md"), renderMarkdown(meta, results));
  writeFileSync(join(out, "ratios.svg"), renderSvg(meta, results));
  console.log(readFileSync(join(out, "results.md"), "utf8"));
}
if (deflateOnly || !onlyScenario) {
  const throughput: (DeflateThroughputRow | DeflateSkip)[] = [];
  let memory: DeflateMemoryRow[] = [];
  if (onlyScenario !== "deflate-memory") {
    for (const pair of DEFLATE_PAIRS) {
      if (onlyRuntime && pair.runtime !== onlyRuntime) continue;
      process.stdout.write(`deflate: ${pair.runtime} Rookery vs ${pair.baseline} ...`);
      const row = await runDeflateThroughput(pair, quick);
      throughput.push(row);
      process.stdout.write("skipped" in row ? ` skipped (${row.skipped})\n` : ` done\n`);
    }
  }
  if (onlyScenario !== "deflate" && (!onlyRuntime || onlyRuntime === "node")) memory = await runDeflateMemory(quick);
  writeFileSync(join(out, "deflate.json"), `${JSON.stringify({ meta, throughput, memory }, null, 2)}\n`);
  writeFileSync(join(out, "deflate.md"), renderDeflate(throughput, memory, quick));
  console.log(readFileSync(join(out, "deflate.md"), "utf8"));
}
if (bareOnly || pairedOnly || !onlyScenario) {
  // `--scenario bare`: the bare echo; `--scenario paired`: every baseline (`--baseline ID` one of them).
  const chosen = only("baseline");
  // A full run compares against every baseline, as `--scenario paired` does; `--scenario bare` only the bare echo.
  const baselines = BASELINES.filter((b) => (bareOnly ? b.id === "node-bare" : chosen === undefined || b.id === chosen));
  const rows: BareRow[] = [];
  for (const b of baselines) if (!onlyRuntime || onlyRuntime === b.target) rows.push(...(await runBare(quick, only("case"), b)));
  // An unknown baseline, or a case the chosen one does not run: say so rather than write an empty report.
  if (rows.length === 0) throw new Error(`nothing to compare: --baseline ${chosen ?? "(all)"} --case ${only("case") ?? "(all)"} --runtime ${onlyRuntime ?? "(all)"}`);
  const name = bareOnly ? "bare" : "paired";
  writeFileSync(join(out, `${name}.json`), `${JSON.stringify({ meta, rows }, null, 2)}\n`);
  writeFileSync(join(out, `${name}.md`), renderBare(rows, quick));
  console.log(readFileSync(join(out, `${name}.md`), "utf8"));
}
if (http2Only || (!onlyScenario && (!onlyRuntime || onlyRuntime === "node"))) {
  const row = await runHttp2(quick);
  writeFileSync(join(out, "http2.json"), `${JSON.stringify({ meta, row }, null, 2)}\n`);
  writeFileSync(join(out, "http2.md"), renderHttp2(row, quick));
  console.log(readFileSync(join(out, "http2.md"), "utf8"));
}
if (scaleOutOnly || (!onlyScenario && !onlyRuntime)) {
  const rows = await runScaleOut(quick);
  writeFileSync(join(out, "scale_out.json"), `${JSON.stringify({ meta: { ...meta, redis: "Debian redis-server" }, rows }, null, 2)}\n`);
  writeFileSync(join(out, "scale_out.md"), renderScaleOut(rows, quick));
  console.log(readFileSync(join(out, "scale_out.md"), "utf8"));
}
