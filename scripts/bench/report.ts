/** The bench's figures as a markdown table and an SVG bar chart of ratios to each runtime's baseline. */

export interface Row {
  runtime: string;
  name: "rookery" | "baseline" | "crossws" | "hono";
  label: string;
  metrics: Record<string, number>;
}
export type Results = Record<string, Row>;

/** Scenarios, their headline metric, and whether lower is better. */
export const SCENARIOS = [
  { id: "latency", metric: "p50_us", title: "(a) latency p50, 1 conn, 32 B", unit: "µs", lower: true },
  { id: "throughput", metric: "messages_per_s", title: "(b) 64 conns × 16 in flight, 32 B", unit: "msg/s", lower: false },
  { id: "binary", metric: "mb_per_s", title: "(c) 8 conns, 64 KiB binary", unit: "MB/s", lower: false },
  { id: "connect", metric: "connections_per_s", title: "(d) new connections", unit: "conn/s", lower: false },
  { id: "memory", metric: "bytes_per_connection", title: "(e) memory per idle connection", unit: "B", lower: true },
  { id: "fanout", metric: "deliveries_per_s", title: "(f) fan-out to 1,000 subscribers", unit: "deliveries/s", lower: false },
] as const;

/** Candidate vs its runtime's baseline, as "higher is better" (a lower-is-better figure is inverted). */
export function ratio(results: Results, key: string, metric: string, lower: boolean): number | undefined {
  const row = results[key];
  const base = row && results[`${row.runtime}/baseline`];
  const a = row?.metrics[metric];
  const b = base?.metrics[metric];
  if (a === undefined || b === undefined || a <= 0 || b <= 0) return undefined;
  return lower ? b / a : a / b;
}

const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(1));

interface Meta {
  date: string;
  cores: number;
  cpu: string;
  mode: string;
  rounds: number;
  secondsPerScenario: number;
  versions: Record<string, string | undefined>;
}

export function renderMarkdown(meta: Meta, results: Results): string {
  const v = meta.versions;
  let md = `# Benchmark results\n\n${meta.date}, ${meta.cores} cores (${meta.cpu}), ${meta.mode} run: ${meta.rounds} round(s), ${meta.secondsPerScenario} s per scenario, best of the rounds. `;
  md += `Node ${v.node}, Bun ${v.bun}, Deno ${v.deno}, ws ${v.ws}, crossws ${v.crossws}, Hono ${v.hono}.\n\n`;
  md += "Ratio = the server against its runtime's baseline (`ws` on Node, raw `Bun.serve`, raw `Deno.upgradeWebSocket`); above 1.00 is better, for every scenario (latency and memory are inverted).\n\n";
  md += `| runtime | server | ${SCENARIOS.map((s) => `${s.title} (${s.unit})`).join(" | ")} |\n`;
  md += `|---|---|${SCENARIOS.map(() => "---:").join("|")}|\n`;
  for (const [key, row] of Object.entries(results)) {
    const cells = SCENARIOS.map((s) => {
      const value = row.metrics[s.metric];
      if (value === undefined) return "–";
      const r = row.name === "baseline" ? undefined : ratio(results, key, s.metric, s.lower);
      const extra = s.id === "latency" && row.metrics.p99_us !== undefined ? ` (p99 ${fmt(row.metrics.p99_us)})` : "";
      return `${fmt(value)}${extra}${r === undefined ? "" : ` **×${r.toFixed(2)}**`}`;
    });
    md += `| ${row.runtime} | ${row.label} | ${cells.join(" | ")} |\n`;
  }
  return md;
}

export function renderSvg(meta: Meta, results: Results): string {
  const candidates = Object.entries(results).filter(([, r]) => r.name !== "baseline");
  const colors: Record<string, string> = { rookery: "#c8553d", crossws: "#5b8e7d", hono: "#8e7dbe" };
  const barH = 9;
  const groupH = candidates.length * (barH + 1) + 14;
  const left = 250;
  const width = 760;
  const scale = (width - left - 60) / 3; // ratios drawn up to 3×
  const height = 70 + SCENARIOS.length * groupH + 30;
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="system-ui, sans-serif" font-size="11">\n`;
  svg += `<rect width="100%" height="100%" fill="#fff"/>\n`;
  svg += `<text x="10" y="20" font-size="14" font-weight="bold">Ratio to each runtime's raw baseline (higher is better)</text>\n`;
  svg += `<text x="10" y="38" fill="#555">${esc(`${meta.date} · ${meta.cores} cores · Node ${meta.versions.node}, Bun ${meta.versions.bun}, Deno ${meta.versions.deno} · baselines: ws, Bun.serve, Deno.upgradeWebSocket`)}</text>\n`;
  let y = 60;
  for (const s of SCENARIOS) {
    svg += `<text x="10" y="${y + 10}" font-weight="bold">${esc(s.title)}</text>\n`;
    y += 14;
    for (const [key, row] of candidates) {
      const r = ratio(results, key, s.metric, s.lower) ?? 0;
      const w = Math.max(1, Math.min(r, 3) * scale);
      svg += `<text x="${left - 6}" y="${y + barH - 1}" text-anchor="end" fill="#333">${esc(`${row.label} on ${row.runtime}`)}</text>`;
      svg += `<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${colors[row.name] ?? "#999"}"/>`;
      svg += `<text x="${left + w + 4}" y="${y + barH - 1}" fill="#333">${r ? `${r.toFixed(2)}×` : "–"}</text>\n`;
      y += barH + 1;
    }
    y += groupH - candidates.length * (barH + 1) - 14;
  }
  const one = left + scale;
  svg += `<line x1="${one}" y1="50" x2="${one}" y2="${y}" stroke="#222" stroke-dasharray="3,3"/>`;
  svg += `<text x="${one}" y="${y + 14}" text-anchor="middle">1.0× = baseline</text>\n</svg>\n`;
  return svg;
}
