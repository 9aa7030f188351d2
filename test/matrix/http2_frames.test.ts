/**
 * Every RFC 6455 frame case of `test/support/frame_cases.ts` against `examples/echo.ts`: over
 * HTTP/1.1 (raw TCP, plain, on Node) and over HTTP/2 streams (RFC 8441, `--http2` with TLS) on
 * Node, and on Deno and Bun with `--adapter node`. The cases and the expected server frames are
 * the same for every column: a WebSocket behaves the same whichever protocol carries it.
 *
 * Over HTTP/2 all the cases of a column share one session, one stream each. After every case the
 * server ended (a close or a failure), a fresh stream on that same session must still echo: a
 * failure ends its own stream only, never the session.
 */
import { once } from "node:events";
import { type ClientHttp2Session, connect } from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../../scripts/spawn_server.ts";
import { type Certificate, selfSignedCertificate } from "../support/certificate.ts";
import { describeFrame, FRAME_CASES, type FrameCase } from "../support/frame_cases.ts";
import { HTTP2_TARGETS, RawStream } from "../support/h2_client.ts";
import { clientFrame, closeBody, RawClient, type ServerFrame } from "../support/raw_client.ts";

/** What the runner needs of a client, HTTP/1.1 or HTTP/2: both keep the server's frames as they came. */
interface CaseClient {
  readonly frames: ServerFrame[];
  readonly ended: boolean;
  write(data: Uint8Array): void;
  until(check: () => boolean, ms?: number): Promise<void>;
}

const tick = () => new Promise((r) => setImmediate(r));

/**
 * Plays `c` on an open WebSocket and checks every server frame, and that the server ended the
 * connection where the case says it does. A case that leaves the connection open is closed with
 * 1000 afterwards, which the server must echo: whatever came before left it in a sound state.
 */
async function play(client: CaseClient, c: FrameCase): Promise<void> {
  const writes = [...c.writes];
  // After a failure nothing more is read: a message right behind it must get no echo.
  if (c.failure) writes.push(Buffer.concat([writes.pop()!, clientFrame(1, "after")]));
  for (const [i, bytes] of writes.entries()) {
    if (i > 0) await tick();
    client.write(bytes);
  }
  if (!c.close) {
    // Frames that never come are reported by the comparison below, with what did come.
    await client.until(() => client.frames.length >= c.replies.length, 10_000).catch(() => {});
    client.write(clientFrame(8, closeBody(1000)));
  }
  await client.until(() => client.ended, 10_000).catch(() => {});
  expect(client.frames.map(describeFrame)).toEqual([...c.replies, c.close ?? "close:1000:"]);
  expect(client.ended, "the server ended the connection").toBe(true);
}

describe("frame cases over HTTP/1.1 (raw TCP) on node", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer("node", "examples/echo.ts", { args: ["--port", "0"], ready: /listening on ws:\/\/[^:]+:(\d+)/ });
  }, 30_000);
  afterAll(() => server?.stop());

  it.each(FRAME_CASES.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const client = await RawClient.handshake(server.port, "/echo");
    expect(client.status).toBe(101);
    try {
      await play(client, c);
    } finally {
      client.destroy();
    }
  });
});

const certificate: Certificate = selfSignedCertificate();
afterAll(() => certificate.remove());

const TARGETS = HTTP2_TARGETS;

describe.each(TARGETS)("frame cases over HTTP/2 streams on %s", (target, extra) => {
  let server: RunningServer;
  let session: ClientHttp2Session;
  let port: number;
  beforeAll(async () => {
    server = await startServer(target, "examples/echo.ts", {
      args: ["--port", "0", "--tls-cert", certificate.certFile, "--tls-key", certificate.keyFile, "--http2", ...extra],
      ready: /listening on wss:\/\/[^:]+:(\d+)/,
    });
    port = server.port;
    session = connect(`https://127.0.0.1:${port}`, { ca: certificate.cert });
    session.on("error", () => {});
    await once(session, "remoteSettings");
  }, 30_000);
  afterAll(async () => {
    session?.close();
    await server?.stop();
  });

  it.each(FRAME_CASES.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const stream = await RawStream.open(session, port, "/echo");
    expect(stream.status).toBe(200);
    try {
      await play(stream, c);
    } finally {
      if (!stream.ended) stream.stream.close();
    }
    // The server ended its side after its close frame, as it ends TCP over HTTP/1.1: no reset.
    expect({ reset: stream.reset, rstCode: stream.rstCode }).toEqual({ reset: false, rstCode: 0 });
    if (!c.close) return;
    expect(session.destroyed).toBe(false);
    const next = await RawStream.open(session, port, "/echo");
    expect(next.status).toBe(200);
    next.write(clientFrame(1, "still here"));
    next.write(clientFrame(8, closeBody(1000)));
    await next.closed();
    expect(next.frames.map(describeFrame)).toEqual(["text:still here", "close:1000:"]);
  });
});
