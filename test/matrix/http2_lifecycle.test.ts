/**
 * The lifecycle matrix's HTTP/2 column: the matrix fixture (`fixture_server.ts --tls-cert …
 * --tls-key … --http2`) on Node, and on Deno and Bun with `--adapter node`, driven over extended
 * CONNECT streams (RFC 8441) of one node:http2 client session. Each case expects the server
 * transcript the Node column of `matrix.test.ts` expects over HTTP/1.1: handler order, data from
 * `onaccept`, `onerror` before `onclose` with the violation's code, close codes and reasons. Where
 * HTTP/1.1 drops the TCP connection, HTTP/2 resets the stream or drops the session.
 */
import { once } from "node:events";
import { type ClientHttp2Session, connect } from "node:http2";
import { request as httpsRequest } from "node:https";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import NodeWs from "ws";
import { type RunningServer, startServer } from "../../scripts/spawn_server.ts";
import { type Certificate, selfSignedCertificate } from "../support/certificate.ts";
import { describeFrame, FRAME_CASES } from "../support/frame_cases.ts";
import { HTTP2_TARGETS, RawStream } from "../support/h2_client.ts";
import { clientFrame, closeBody } from "../support/raw_client.ts";

const certificate: Certificate = selfSignedCertificate();
afterAll(() => certificate.remove());

const TARGETS = HTTP2_TARGETS;

/** The error each failing close code is reported to `onerror` as (its stable `name`). */
const ERROR_NAMES: Record<number, string> = { 1002: "ProtocolError", 1007: "InvalidPayloadError", 1008: "PolicyViolationError", 1009: "MessageTooBigError" };

/** One frame case of each kind of failure, from the shared table (each sent to the fixture's 100-byte route). */
const VIOLATIONS = [
  "unmasked frame",
  "RSV1 without an extension",
  "reserved data opcode 3",
  "ping over 125 bytes",
  "continuation without a start",
  "close code 1005",
  "a lone 0xff byte",
  "a close reason that is not UTF-8",
  "a text header announcing 2^62 bytes",
  "a message in 16,385 fragments",
].map((name) => {
  const found = FRAME_CASES.find((c) => c.name === name && c.failure);
  if (!found) throw new Error(`no failing frame case named ${JSON.stringify(name)}`);
  return found;
});

let tagCounter = 0;
const newTag = (name: string) => `h2-${name.replace(/\W+/g, "-")}-${++tagCounter}`;
const url = (path: string, tag: string) => `${path}${path.includes("?") ? "&" : "?"}t=${tag}`;

const until = async (check: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
};

describe.each(TARGETS)("lifecycle over HTTP/2 on %s", (target, extra) => {
  let server: RunningServer;
  let port: number;
  /** The session every case opens its streams on (and reads transcripts over), unless it drops one of its own. */
  let shared: ClientHttp2Session;

  async function session(): Promise<ClientHttp2Session> {
    const s = connect(`https://127.0.0.1:${port}`, { ca: certificate.cert });
    s.on("error", () => {});
    await once(s, "remoteSettings");
    return s;
  }

  beforeAll(async () => {
    server = await startServer(target, "test/matrix/fixture_server.ts", {
      args: ["--tls-cert", certificate.certFile, "--tls-key", certificate.keyFile, "--http2", ...extra],
    });
    port = server.port;
    shared = await session();
  }, 30_000);
  afterAll(async () => {
    shared?.close();
    await server?.stop();
  });

  /** A plain HTTP/2 GET on the shared session (the fixture's fallback answers it). */
  async function get(path: string): Promise<string> {
    const req = shared.request({ ":path": path });
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (d: string) => (body += d));
    await once(req, "end");
    return body;
  }

  /** The server transcript for `tag`, once it holds a close event (or after `ms` for none). */
  async function serverEvents(tag: string, expectClose = true, ms = 5000): Promise<string[]> {
    const deadline = Date.now() + ms;
    for (;;) {
      const events = JSON.parse(await get(`/events?t=${tag}`)) as string[];
      if (expectClose ? events.some((e) => e.startsWith("close:")) : Date.now() > deadline) return events;
      if (Date.now() > deadline) throw new Error(`no close for ${tag}: ${JSON.stringify(events)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  const open = (path: string, headers: Record<string, string> = {}, on: ClientHttp2Session = shared) => RawStream.open(on, port, path, headers);

  /** Opens `path`, writes `bytes`, and waits for the stream to end: the server's frames as summaries. */
  async function exchange(path: string, ...bytes: Buffer[]): Promise<string[]> {
    const s = await open(path);
    expect(s.status).toBe(200);
    for (const b of bytes) s.write(b);
    await s.closed();
    // Every close here is a closing handshake: the server ends its side, it never resets the stream.
    expect(s.reset, "the server reset the stream").toBe(false);
    return s.frames.map(describeFrame);
  }

  it("onaccept false → 403, no server event", async () => {
    const tag = newTag("reject");
    const s = await open(url("/reject", tag));
    expect(s.status).toBe(403);
    expect(await serverEvents(tag, false, 300)).toEqual([]);
  });

  it("accept with typed data and a chosen subprotocol", async () => {
    const tag = newTag("data");
    const s = await open(url("/rooms/lobby?user=ann", tag), { "sec-websocket-protocol": "other, chat" });
    expect([s.status, s.headers["sec-websocket-protocol"]]).toEqual([200, "chat"]);
    await s.until(() => s.frames.length === 1);
    expect(s.frames[0]!.payload.toString()).toBe(JSON.stringify({ data: { room: "lobby", user: "ann" }, protocol: "chat" }));
    s.write(clientFrame(8, closeBody(1000)));
    await s.closed();
    expect(await serverEvents(tag)).toEqual(["open:lobby:ann:chat", "close:1000:"]);
  });

  it("headers onaccept returns are in the 200, beside a selected subprotocol", async () => {
    const s = await open("/accept-headers", { "sec-websocket-protocol": "chat" });
    expect([s.status, s.headers["x-rookery-seat"], s.headers["sec-websocket-protocol"]]).toEqual([200, "12A", "chat"]);
    s.write(clientFrame(8, closeBody(1000)));
    await s.closed();
  });

  it("onaccept tells HTTP/2 from HTTP/1.1 (httpVersionOf), as conn.httpVersion does, on the same TLS port", async () => {
    const tags = [newTag("version-h2"), newTag("version-h1")];
    expect(await exchange(url("/version", tags[0]!), clientFrame(8, closeBody(1000)))).toEqual(["close:1000:"]);
    const ws = new NodeWs(`wss://127.0.0.1:${port}${url("/version", tags[1]!)}`, { ca: certificate.cert });
    await once(ws, "open");
    ws.close(1000);
    await once(ws, "close");
    expect(await serverEvents(tags[0]!)).toEqual(["open:2:2", "close:1000:"]);
    expect(await serverEvents(tags[1]!)).toEqual(["open:1.1:1.1", "close:1000:"]);
    // Plain requests too: the fixture's fallback answers with httpVersionOf(request).
    expect(await get("/http-version")).toBe("2");
    const overHttp1 = await new Promise<string>((resolve, reject) => {
      const req = httpsRequest({ host: "127.0.0.1", port, path: "/http-version", ca: certificate.cert }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (body += d));
        res.on("end", () => resolve(body));
      });
      req.on("error", reject);
      req.end();
    });
    expect(overHttp1).toBe("1.1");
  });

  it("echo text and binary, then client close with code and reason", async () => {
    const tag = newTag("echo");
    const frames = await exchange(url("/echo", tag), clientFrame(1, "héllo 😀"), clientFrame(2, new Uint8Array(300)), clientFrame(8, closeBody(4001, "bye")));
    expect(frames).toEqual(["text:héllo 😀", expect.stringMatching(/^binary:300B:/), "close:4001:bye"]);
    expect(await serverEvents(tag)).toEqual(["open", "message:text:héllo 😀", "message:binary:300", "close:4001:bye"]);
  });

  it("client close without a code → 1005", async () => {
    const tag = newTag("close-nocode");
    expect(await exchange(url("/echo", tag), clientFrame(8))).toEqual(["close"]);
    expect(await serverEvents(tag)).toEqual(["open", "close:1005:"]);
  });

  it("server close with code and reason; the client's answer ends the stream", async () => {
    const tag = newTag("server-close");
    const s = await open(url("/echo", tag));
    s.write(clientFrame(1, "close-me"));
    expect(await s.closed()).toEqual({ code: 4000, reason: "done" });
    expect(s.reset).toBe(false);
    expect(await serverEvents(tag)).toEqual(["open", "message:text:close-me", "close:4000:done"]);
  });

  it("a handler that throws → 1011", async () => {
    const tag = newTag("throw");
    expect(await exchange(url("/echo", tag), clientFrame(1, "throw"))).toEqual(["close:1011:internal error"]);
    expect(await serverEvents(tag)).toEqual(["open", "message:text:throw", "error:1011:HandlerError", "close:1011:internal error"]);
  });

  it("onopen that throws → 1011, no message handler", async () => {
    const tag = newTag("throw-open");
    expect(await exchange(url("/throw-open", tag), clientFrame(1, "never delivered"))).toEqual(["close:1011:internal error"]);
    expect(await serverEvents(tag)).toEqual(["error:1011:HandlerError", "close:1011:internal error"]);
  });

  it.each([
    ["route limit (100) exceeded", "/route-limit", 101],
    ["app limit (1000) exceeded", "/app-limit", 1001],
  ])("%s → 1009, the message never delivered", async (_name, path, size) => {
    const tag = newTag(path);
    const reason = `Message over the limit of ${size - 1} bytes`;
    expect(await exchange(url(path, tag), clientFrame(2, new Uint8Array(size)))).toEqual([`close:1009:${reason}`]);
    expect(await serverEvents(tag)).toEqual(["open", "error:1009:MessageTooBigError", `close:1009:${reason}`]);
  });

  it("exactly the limit passes; route Infinity overrides the app limit", async () => {
    const tags = [newTag("at-limit"), newTag("unlimited")];
    const a = await exchange(url("/route-limit", tags[0]!), clientFrame(2, new Uint8Array(100)), clientFrame(8, closeBody(1000)));
    const b = await exchange(url("/unlimited", tags[1]!), clientFrame(2, new Uint8Array(200_000)), clientFrame(8, closeBody(1000)));
    expect([a, b]).toEqual([
      [expect.stringMatching(/^binary:100B:/), "close:1000:"],
      [expect.stringMatching(/^binary:200000B:/), "close:1000:"],
    ]);
    expect(await serverEvents(tags[0]!)).toEqual(["open", "message:binary:100", "close:1000:"]);
  });

  it.each(VIOLATIONS.map((c) => [c.name, c] as const))("protocol violation: %s → onerror, then onclose; the session lives on", async (name, c) => {
    const tag = newTag(name);
    const frames = await exchange(url("/route-limit", tag), ...c.writes, clientFrame(1, "after"));
    const code = Number(/^close:(\d+):/.exec(c.close!)![1]);
    expect(frames).toEqual([expect.stringMatching(new RegExp(`^close:${code}:`))]);
    // onclose reports what the server sent; the reason is the error's message.
    expect(await serverEvents(tag)).toEqual(["open", `error:${code}:${ERROR_NAMES[code]}`, frames[0]]);
    expect(shared.destroyed).toBe(false);
  });

  it("a stream the client resets → onerror 1006, onclose 1006; the session lives on", async () => {
    const tag = newTag("reset");
    const s = await open(url("/echo", tag));
    s.write(clientFrame(1, "hi"));
    await s.until(() => s.frames.length > 0);
    s.stream.close(0x8); // RST_STREAM CANCEL: the HTTP/2 way to drop one connection
    expect(await serverEvents(tag)).toEqual(["open", "message:text:hi", "error:1006:ConnectionLostError", "close:1006:"]);
    expect(await exchange("/echo", clientFrame(1, "next"), clientFrame(8, closeBody(1000)))).toEqual(["text:next", "close:1000:"]);
  });

  it("a dropped session (TCP gone) → onerror 1006, onclose 1006 on each of its streams", async () => {
    const own = await session();
    const tags = [newTag("drop-a"), newTag("drop-b")];
    const streams = await Promise.all(tags.map((tag) => open(url("/echo", tag), {}, own)));
    for (const s of streams) s.write(clientFrame(1, "hi"));
    await until(() => streams.every((s) => s.frames.length > 0));
    own.socket.destroy();
    for (const tag of tags) {
      expect(await serverEvents(tag)).toEqual(["open", "message:text:hi", "error:1006:ConnectionLostError", "close:1006:"]);
    }
  });

  it("conn.ping reaches the client, and its pong reaches onpong, in order with messages", async () => {
    const tag = newTag("heartbeat");
    const s = await open(url("/heartbeat", tag));
    await s.until(() => s.frames.some((f) => f.opcode === 9));
    expect(s.frames.map(describeFrame)).toEqual(["ping:hi"]);
    // Pongs are written by hand, around a message.
    s.write(Buffer.concat([clientFrame(10, "hi"), clientFrame(1, "ping"), clientFrame(10, Uint8Array.of(1, 2, 3))]));
    await s.until(() => s.frames.length === 2);
    s.write(clientFrame(8, closeBody(1000)));
    await s.closed();
    expect(s.frames.map(describeFrame)).toEqual(["ping:hi", "ping:0x010203", "close:1000:"]);
    expect(await serverEvents(tag)).toEqual(["ping:sent", "pong:104,105", "message:ping", "ping:sent", "pong:1,2,3", "close:1000:"]);
  });

  it("conn.terminate resets the stream: onclose 1006 with no onerror, no close frame for the client", async () => {
    const tag = newTag("terminate");
    const s = await open(url("/heartbeat", tag));
    s.write(clientFrame(1, "bye"));
    await s.closed();
    // No close frame: a WebSocket client reports 1006. Node and Deno reset the stream (RST_STREAM,
    // NO_ERROR); Bun's node:http2 sends END_STREAM first, so there the client sees an end, and the
    // missing close frame is what tells it apart from a closing handshake.
    expect(s.frames.map(describeFrame)).toEqual(["ping:hi"]);
    if (target !== "bun") expect(s.reset).toBe(true);
    expect(await serverEvents(tag)).toEqual(["ping:sent", "message:bye", "close:1006:"]);
  });

  it("a send over the buffer's high-water mark reports backpressure, then ondrain runs", async () => {
    const tag = newTag("flood");
    const s = await open(url("/flood", tag));
    await s.until(() => s.frames.some((f) => f.opcode === 1), 15_000);
    s.write(clientFrame(8, closeBody(1000)));
    await s.closed();
    const sent = s.frames.length - 2;
    expect(sent).toBeGreaterThanOrEqual(1);
    // As many 1 MiB messages (of zeros) as it took to meet backpressure, every one delivered, then the reply.
    const mebibyte = describeFrame({ fin: true, rsv1: false, opcode: 2, payload: Buffer.alloc(1 << 20) });
    expect(s.frames.map(describeFrame)).toEqual([...Array<string>(sent).fill(mebibyte), "text:drained", "close:1000:"]);
    expect(await serverEvents(tag)).toEqual(["backpressure", "drain", "close:1000:"]);
  });

  it("a client that stops reading its stream is closed with 1008 once the send buffer passes maxBufferedAmount", async () => {
    const tag = newTag("slow-reader");
    const s = await open(url("/slow-reader", tag));
    // HTTP/2 flow control: the stream's window fills and the server's send buffer grows.
    s.stream.pause();
    const deadline = Date.now() + 15_000;
    let events: string[] = [];
    while (!events.includes("error:1008:PolicyViolationError") && Date.now() < deadline) {
      events = JSON.parse(await get(`/events?t=${tag}`)) as string[];
      await new Promise((r) => setTimeout(r, 20));
    }
    // The close frame waits behind what the client never read: drop the stream instead of waiting for the close timeout.
    s.stream.close(0x8);
    expect(await serverEvents(tag)).toEqual(["open", "error:1008:PolicyViolationError", "close:1008"]);
  });

  it("allowedOrigins: another origin gets 403 before onaccept; the allowed one and non-browsers connect", async () => {
    const statuses: number[] = [];
    const origins: Record<string, string>[] = [{ origin: "https://evil.example" }, { origin: "https://good.example" }, {}];
    for (const headers of origins) {
      const s = await open("/origin-only", headers);
      statuses.push(s.status);
      s.stream.close();
    }
    expect(statuses).toEqual([403, 200, 200]);
  });
});
