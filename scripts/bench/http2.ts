/**
 * WebSockets over HTTP/2 against wss:// over HTTP/1.1, on Rookery's Node adapter
 * (`serve(app, { tls, http2: true })`), one server for both: N sockets opened as streams of
 * HTTP/2 sessions (100 to a session, the server's default `maxStreams`), against N wss://
 * connections (TLS and a handshake each, 50 at a time), each socket answered once (an echo).
 * Rounds alternate (ABBA); reported are the medians of sockets opened per second and of the
 * server's memory per idle socket (RSS after it collected garbage, servers/gc_hook.ts), and the
 * ratio of HTTP/2's rate over HTTP/1.1's per pair of neighbouring rounds.
 *
 *   npm run bench -- --scenario http2 [--quick]
 */
import { once } from "node:events";
import { connect } from "node:http2";
import { Buffer } from "node:buffer";
import NodeWs from "ws";
import { type RunningServer, startServer } from "../spawn_server.ts";
import { selfSignedCertificate } from "../../test/support/certificate.ts";
import { serverMemory } from "./deflate.ts";
import { median, spread, type Spread } from "./paired.ts";
import { sleep } from "./raw_ws.ts";

const MASKED_HELLO = (() => {
  // A masked "hi" text frame, as a client sends it.
  const payload = Buffer.from("hi");
  const mask = Buffer.from([1, 2, 3, 4]);
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]);
})();

interface Round {
  opensPerS: number;
  /** Server RSS per idle socket, bytes. */
  bytesPerSocket: number;
}

export interface Http2Row {
  sockets: number;
  rounds: number;
  h2: { opensPerS: number; bytesPerSocket: number; opens: number[]; bytes: number[] };
  h1: { opensPerS: number; bytesPerSocket: number; opens: number[]; bytes: number[] };
  /** HTTP/2's rate over HTTP/1.1's, per pair of neighbouring rounds. */
  rateRatio: Spread;
  /** HTTP/2's memory per socket over HTTP/1.1's. */
  memoryRatio: number;
}

/** Streams per session: the server's default `maxStreams` (a session takes no more at once). */
const STREAMS_PER_SESSION = 100;

/**
 * Opens `n` WebSockets as streams of HTTP/2 sessions, 100 to a session (the server's default
 * `maxStreams`); each is answered once before it counts.
 */
async function h2Round(server: RunningServer, ca: string, n: number): Promise<{ round: Round; close: () => Promise<void> }> {
  const before = await serverMemory(server);
  const t0 = performance.now();
  const sessions = await Promise.all(
    Array.from({ length: Math.ceil(n / STREAMS_PER_SESSION) }, async () => {
      const session = connect(`https://127.0.0.1:${server.port}`, { ca });
      session.on("error", () => {});
      await once(session, "remoteSettings");
      return session;
    }),
  );
  const streams = await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const stream = sessions[Math.floor(i / STREAMS_PER_SESSION)]!.request(
        { ":method": "CONNECT", ":protocol": "websocket", ":path": "/echo", ":scheme": "https", ":authority": `127.0.0.1:${server.port}`, "sec-websocket-version": "13" },
        { endStream: false },
      );
      stream.on("error", () => {});
      await once(stream, "response");
      stream.write(MASKED_HELLO);
      await once(stream, "data");
      return stream;
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  await sleep(200);
  const after = await serverMemory(server);
  return {
    round: { opensPerS: n / seconds, bytesPerSocket: (after.rss - before.rss) / n },
    close: async () => {
      for (const s of streams) s.close();
      for (const s of sessions) s.close();
      await sleep(300);
    },
  };
}

/** Opens `n` wss:// connections over HTTP/1.1, 50 at a time; each is answered once before it counts. */
async function h1Round(server: RunningServer, ca: string, n: number): Promise<{ round: Round; close: () => Promise<void> }> {
  const before = await serverMemory(server);
  const sockets: NodeWs[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, n - i) }, async () => {
        const ws = new NodeWs(`wss://127.0.0.1:${server.port}/echo`, { ca, perMessageDeflate: false });
        ws.on("error", () => {});
        await once(ws, "open");
        ws.send("hi");
        await once(ws, "message");
        return ws;
      }),
    );
    sockets.push(...batch);
  }
  const seconds = (performance.now() - t0) / 1000;
  await sleep(200);
  const after = await serverMemory(server);
  return {
    round: { opensPerS: n / seconds, bytesPerSocket: (after.rss - before.rss) / n },
    close: async () => {
      for (const ws of sockets) ws.terminate();
      await sleep(300);
    },
  };
}

export async function runHttp2(quick: boolean): Promise<Http2Row> {
  const n = quick ? 200 : 1000;
  const pairs = quick ? 2 : 4;
  const certificate = selfSignedCertificate();
  const server = await startServer("node", "scripts/bench/servers/rookery.ts", {
    args: ["--tls-cert", certificate.certFile, "--tls-key", certificate.keyFile, "--http2"],
    exposeGc: true,
  });
  const h2: Round[] = [];
  const h1: Round[] = [];
  try {
    // Warm-up of both paths (JIT, TLS), discarded.
    for (const run of [h2Round, h1Round]) await (await run(server, certificate.cert, Math.min(100, n))).close();
    for (let p = 0; p < pairs; p++) {
      // ABBA: which goes first alternates.
      const order = p % 2 === 0 ? (["h2", "h1"] as const) : (["h1", "h2"] as const);
      for (const kind of order) {
        const { round, close } = await (kind === "h2" ? h2Round : h1Round)(server, certificate.cert, n);
        (kind === "h2" ? h2 : h1).push(round);
        await close();
      }
    }
  } finally {
    await server.stop();
    certificate.remove();
  }
  const side = (rs: Round[]) => ({
    opensPerS: median(rs.map((r) => r.opensPerS)),
    bytesPerSocket: median(rs.map((r) => r.bytesPerSocket)),
    opens: rs.map((r) => Math.round(r.opensPerS)),
    bytes: rs.map((r) => Math.round(r.bytesPerSocket)),
  });
  const a = side(h2);
  const b = side(h1);
  return {
    sockets: n,
    rounds: pairs,
    h2: a,
    h1: b,
    rateRatio: spread(h2.map((r, i) => r.opensPerS / h1[i]!.opensPerS)),
    memoryRatio: a.bytesPerSocket / b.bytesPerSocket,
  };
}

export function renderHttp2(row: Http2Row, quick: boolean): string {
  const num = (x: number) => Math.round(x).toLocaleString("en-US");
  return [
    `### WebSockets over HTTP/2 vs wss:// over HTTP/1.1 (Rookery on Node), ${new Date().toISOString().slice(0, 10)}, ${quick ? "quick" : "full"} run`,
    "",
    `${row.sockets} sockets per round (HTTP/2: 100 streams to a session), ${row.rounds} rounds of each, alternating (ABBA); one server (serve with tls and http2). A socket counts once its first echo is back.`,
    "",
    "| | sockets opened per second | memory per idle socket (RSS) |",
    "|---|---:|---:|",
    `| HTTP/2 streams (100 to a session) | ${num(row.h2.opensPerS)} | ${num(row.h2.bytesPerSocket)} B |`,
    `| wss:// over HTTP/1.1 | ${num(row.h1.opensPerS)} | ${num(row.h1.bytesPerSocket)} B |`,
    `| HTTP/2 / HTTP/1.1 | **×${row.rateRatio.median.toFixed(2)}** (${row.rateRatio.min.toFixed(2)}–${row.rateRatio.max.toFixed(2)}) | ×${row.memoryRatio.toFixed(2)} |`,
    "",
  ].join("\n");
}
