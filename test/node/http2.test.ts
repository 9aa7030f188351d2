/**
 * WebSockets over HTTP/2 (RFC 8441) through `attachHttp2`, on a real node:http2 secure server
 * and driven by node:http2's own client: the extended-CONNECT handshake and its refusals, frames
 * over a stream (early ones, compressed ones), one failed stream among healthy ones on the same
 * session, an HTTP/1.1 upgrade on the same TLS port, `httpVersionOf` for `onaccept`, undici's
 * WebSocket over HTTP/2, the close timeout, and shutdown. Every RFC 6455 frame case runs over
 * HTTP/2 in test/matrix/http2_frames.test.ts.
 */
import { once } from "node:events";
import { request as httpsRequest } from "node:https";
import { connect as tlsConnect } from "node:tls";
import { constants, deflateRawSync, inflateRawSync } from "node:zlib";
import { type ClientHttp2Session, connect, createSecureServer, type Http2SecureServer } from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent, WebSocket as UndiciWebSocket } from "undici";
import NodeWs from "ws";
import { attachHttp2, serve } from "../../adapters/node.ts";
import { httpVersionOf, Rookery } from "../../mod.ts";
import { type Certificate, selfSignedCertificate } from "../support/certificate.ts";
import { openStream, RawStream, type StreamSocket } from "../support/h2_client.ts";
import { clientFrame, closeBody } from "../support/raw_client.ts";

let certificate: Certificate;
let server: Http2SecureServer;
let port: number;
let sockets: { close(): Promise<void> };
const seen: string[] = [];

beforeAll(async () => {
  certificate = selfSignedCertificate();
  const app = new Rookery({ logger: () => {}, maxPayload: 1 << 20 });
  app.ws("/echo").onmessage((conn, message) => void conn.send(message));
  app.ws("/deflate").perMessageDeflate({ threshold: 0 }).onmessage((conn, message) => void conn.send(message));
  app.ws("/version").onopen((conn) => void conn.send(`over HTTP/${conn.httpVersion}`));
  // What onaccept can tell before any connection exists, and what an allowedOrigins predicate sees.
  app
    .ws("/which")
    .allowedOrigins((origin, req) => origin !== "https://h1-only.example" || httpVersionOf(req) === "1.1")
    .onaccept((req) => ({ data: httpVersionOf(req) }))
    .onopen((conn) => void conn.send(`onaccept saw ${conn.data}, the connection says ${conn.httpVersion}`));
  app
    .ws("/chat")
    .subprotocols(["chat"])
    .onaccept((req) => {
      seen.push(`${req.method} ${req.url} host=${req.headers.get("host")} x=${req.headers.get("x-id")}`);
      return true;
    });
  server = createSecureServer(
    { key: certificate.key, cert: certificate.cert, allowHTTP1: true, settings: { enableConnectProtocol: true } },
    (_req, res) => res.end("plain"),
  );
  sockets = attachHttp2(app, server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  await sockets.close();
  server.close();
  certificate.remove();
});

/** A client session that has seen the server's SETTINGS (extended CONNECT is allowed only after them). */
async function session(): Promise<ClientHttp2Session> {
  const s = connect(`https://127.0.0.1:${port}`, { ca: certificate.cert });
  s.on("error", () => {});
  await once(s, "remoteSettings");
  expect(s.remoteSettings.enableConnectProtocol).toBe(true);
  return s;
}

/** An extended CONNECT to this file's server (or the one on `at`). */
const open = (s: ClientHttp2Session, path: string, headers: Record<string, string> = {}, protocol = "websocket", at: number = port) =>
  openStream(s, at, path, headers, protocol);

const until = async (check: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
};

describe("the extended-CONNECT handshake (RFC 8441 §4-5)", () => {
  it(":protocol websocket and version 13 → :status 200, no key and no accept value", async () => {
    const s = await session();
    const o = await open(s, "/echo");
    expect(o.status).toBe(200);
    expect(o.headers["sec-websocket-accept"]).toBeUndefined();
    o.stream.close();
    s.close();
  });

  it("a wrong or missing version → 426 with sec-websocket-version: 13", async () => {
    const s = await session();
    for (const version of ["8", ""]) {
      const o = await open(s, "/echo", { "sec-websocket-version": version });
      expect(o.status).toBe(426);
      expect(o.headers["sec-websocket-version"]).toBe("13");
    }
    s.close();
  });

  // As over HTTP/1.1: resolved as a relative URL, "//attacker.example/echo" would route as /echo
  // on another host.
  it("a :path that starts with // or /\\ is a path, not another host: it routes as itself (404)", async () => {
    const s = await session();
    expect((await open(s, "//attacker.example/echo")).status).toBe(404);
    expect((await open(s, "/\\attacker.example/echo")).status).toBe(404);
    s.close();
  });

  it("an unknown path → 404, another :protocol → 501, and the session stays usable after both", async () => {
    const s = await session();
    expect((await open(s, "/nowhere")).status).toBe(404);
    expect((await open(s, "/echo", {}, "chat-over-h2")).status).toBe(501);
    expect((await open(s, "/echo")).status).toBe(200);
    s.close();
  });

  it("subprotocols as over HTTP/1.1; onaccept sees a GET Request with the stream's headers and :authority as Host", async () => {
    const s = await session();
    const o = await open(s, "/chat?room=1", { "sec-websocket-protocol": "other, chat", "x-id": "7" });
    expect(o.status).toBe(200);
    expect(o.headers["sec-websocket-protocol"]).toBe("chat");
    expect(seen.at(-1)).toBe(`GET https://127.0.0.1:${port}/chat?room=1 host=127.0.0.1:${port} x=7`);
    s.close();
  });
});

describe("frames over a stream", () => {
  it("echo from 0 B to 256 KiB, text and binary, fragments and pings, then the closing handshake ends the stream", async () => {
    const s = await session();
    const o = await open(s, "/echo");
    const sizes = [0, 125, 126, 65_535, 65_536, 256 * 1024];
    for (const n of sizes) o.stream.write(clientFrame(2, new Uint8Array(n).fill(7)));
    o.stream.write(clientFrame(1, "héllo"));
    o.stream.write(Buffer.concat([clientFrame(1, "frag", { fin: false }), clientFrame(9, "p"), clientFrame(0, "ment")]));
    await until(() => o.frames.length >= sizes.length + 2);
    expect(o.frames).toEqual([...sizes.map((n) => `binary:${n}`), "text:héllo", "text:fragment"]);
    o.stream.write(clientFrame(8, closeBody(1000, "bye")));
    await o.ended;
    expect(o.frames.at(-1)).toBe("close:1000:bye");
    s.close();
  });

  it("a protocol error closes only its stream with 1002; a new stream on the same session works", async () => {
    const s = await session();
    const bad = await open(s, "/echo");
    bad.stream.write(clientFrame(1, "x", { mask: false }));
    await bad.ended;
    expect(bad.frames).toEqual(["close:1002:Unmasked client frame"]);
    const good = await open(s, "/echo");
    good.stream.write(clientFrame(1, "still here"));
    await until(() => good.frames.length === 1);
    expect(good.frames).toEqual(["text:still here"]);
    s.close();
  });

  it("10 streams on one session: an unmasked frame on one fails it alone; the other 9 echo 20 messages each, in order", async () => {
    const s = await session();
    const streams = await Promise.all(Array.from({ length: 10 }, () => open(s, "/echo")));
    streams[3]!.stream.write(clientFrame(1, "x", { mask: false }));
    streams.forEach((o, k) => {
      if (k !== 3) for (let i = 0; i < 20; i++) o.stream.write(clientFrame(1, `${k}:${i}`));
    });
    await streams[3]!.ended;
    for (const [k, o] of streams.entries()) {
      if (k === 3) continue;
      await until(() => o.frames.length === 20);
      expect(o.frames).toEqual(Array.from({ length: 20 }, (_, i) => `text:${k}:${i}`));
    }
    expect(streams[3]!.frames).toEqual(["close:1002:Unmasked client frame"]);
    s.close();
  });

  it("frames written right behind the CONNECT, before the 200 arrives, are read", async () => {
    const s = await session();
    const stream = s.request(
      { ":method": "CONNECT", ":protocol": "websocket", ":path": "/echo", ":scheme": "https", ":authority": `127.0.0.1:${port}`, "sec-websocket-version": "13" },
      { endStream: false },
    );
    stream.on("error", () => {});
    stream.write(clientFrame(1, "early"));
    let received = Buffer.alloc(0);
    stream.on("data", (d: Buffer) => (received = Buffer.concat([received, d])));
    const [headers] = (await once(stream, "response")) as [Record<string, unknown>];
    expect(headers[":status"]).toBe(200);
    await until(() => received.length >= 7);
    expect(received.subarray(2).toString()).toBe("early");
    stream.close(0x8); // a client reset: nothing is left for the shutdown to wait for
    s.close();
  });

  it("permessage-deflate is agreed on a stream as on an upgrade: compressed both ways", async () => {
    const s = await session();
    const o = await RawStream.open(s, port, "/deflate", { "sec-websocket-extensions": "permessage-deflate" });
    expect([o.status, o.headers["sec-websocket-extensions"]]).toEqual([200, "permessage-deflate"]);
    const text = "héllo ".repeat(200);
    // RFC 7692 §7.2.1: the deflated message without its final empty block's 4 bytes, RSV1 set.
    const deflated = deflateRawSync(Buffer.from(text), { finishFlush: constants.Z_SYNC_FLUSH });
    o.write(clientFrame(1, deflated.subarray(0, deflated.length - 4), { rsv: 4 }));
    await o.until(() => o.frames.length === 1);
    const reply = o.frames[0]!;
    const inflated = inflateRawSync(Buffer.concat([reply.payload, Buffer.of(0, 0, 0xff, 0xff)]), { finishFlush: constants.Z_SYNC_FLUSH });
    expect([reply.rsv1, reply.payload.length < Buffer.byteLength(text), inflated.toString()]).toEqual([true, true, text]);
    s.close();
  });

  it("a client that resets its stream mid-message leaves the session and the server unharmed", async () => {
    const s = await session();
    const o = await open(s, "/echo");
    o.stream.write(clientFrame(2, new Uint8Array(100_000)).subarray(0, 50_000));
    o.stream.close(0x8); // CANCEL
    await o.ended;
    const next = await open(s, "/echo");
    next.stream.write(clientFrame(1, "after"));
    await until(() => next.frames.length === 1);
    s.close();
  });
});

describe("the same TLS port", () => {
  // Found in review: the listener that keeps extended CONNECTs open left a plain CONNECT unanswered.
  it("a plain CONNECT (a tunnel, no :protocol) gets 405 instead of hanging", async () => {
    const s = await session();
    const req = s.request({ ":method": "CONNECT", ":authority": "elsewhere.example:443" });
    const [headers] = (await Promise.race([once(req, "response"), new Promise((r) => setTimeout(() => r([{}]), 2000))])) as [Record<string, unknown>];
    expect(headers[":status"]).toBe(405);
    req.close();
    s.close();
  });

  it("plain HTTP/2 requests stay with the server's own handler", async () => {
    const s = await session();
    const req = s.request({ ":path": "/page" });
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    await once(req, "end");
    expect(body).toBe("plain");
    s.close();
  });

  it("conn.httpVersion tells a stream (2) from an upgrade (1.1)", async () => {
    const s = await session();
    const o = await open(s, "/version");
    await until(() => o.frames.length === 1);
    expect(o.frames).toEqual(["text:over HTTP/2"]);
    s.close();
    const ws = new NodeWs(`wss://127.0.0.1:${port}/version`, { ca: certificate.cert });
    const [data] = (await once(ws, "message")) as [Buffer];
    expect(data.toString()).toBe("over HTTP/1.1");
    ws.close();
  });

  it("httpVersionOf tells onaccept and an allowedOrigins predicate which protocol the handshake came over", async () => {
    const s = await session();
    const o = await open(s, "/which");
    await until(() => o.frames.length === 1);
    expect(o.frames).toEqual(["text:onaccept saw 2, the connection says 2"]);
    expect((await open(s, "/which", { origin: "https://h1-only.example" })).status).toBe(403);
    s.close();
    const ws = new NodeWs(`wss://127.0.0.1:${port}/which`, { ca: certificate.cert, origin: "https://h1-only.example" });
    const [data] = (await once(ws, "message")) as [Buffer];
    expect(data.toString()).toBe("onaccept saw 1.1, the connection says 1.1");
    ws.close();
  });

  it("undici's WebSocket, a second RFC 8441 client, opens its socket as a stream when its dispatcher speaks HTTP/2", async () => {
    const agent = new Agent({ connect: { ca: certificate.cert }, allowH2: true });
    try {
      const ws = new UndiciWebSocket(`wss://127.0.0.1:${port}/version`, { dispatcher: agent });
      const [event] = (await once(ws, "message")) as [MessageEvent<string>];
      expect(event.data).toBe("over HTTP/2");
      ws.close();
    } finally {
      await agent.close();
    }
  });

  it("an HTTP/1.1 upgrade (wss://) is served too", async () => {
    const ws = new NodeWs(`wss://127.0.0.1:${port}/echo`, { ca: certificate.cert });
    await once(ws, "open");
    ws.send("over h1");
    const [data] = (await once(ws, "message")) as [Buffer];
    expect(data.toString()).toBe("over h1");
    ws.close();
  });
});

describe("shutdown", () => {
  it("the attachment's close sends 1001 on every stream of every session and resolves once each has closed", async () => {
    const app = new Rookery({ logger: () => {} });
    const closed: number[] = [];
    app.ws("/echo").onclose((_c, _r, code) => void closed.push(code));
    const own = createSecureServer({ key: certificate.key, cert: certificate.cert, settings: { enableConnectProtocol: true } });
    const attached = attachHttp2(app, own);
    own.listen(0, "127.0.0.1");
    await once(own, "listening");
    const ownPort = (own.address() as { port: number }).port;
    const sessions = await Promise.all(
      [0, 1].map(async () => {
        const s = connect(`https://127.0.0.1:${ownPort}`, { ca: certificate.cert });
        s.on("error", () => {});
        await once(s, "remoteSettings");
        return s;
      }),
    );
    const streams: StreamSocket[] = [];
    for (const s of sessions) for (let i = 0; i < 3; i++) streams.push(await open(s, "/echo", {}, "websocket", ownPort));
    await until(() => app.connections.size === 6);
    await attached.close();
    expect(closed).toEqual([1001, 1001, 1001, 1001, 1001, 1001]);
    for (const o of streams) expect(o.frames).toEqual(["close:1001:server shutting down"]);
    for (const s of sessions) s.close();
    own.close();
  });

  it("serve's close: 1001 on every stream, GOAWAY to the session, and done while the client keeps its session open", async () => {
    const app = new Rookery({ logger: () => {} });
    app.ws("/echo").onmessage((conn, message) => void conn.send(message));
    const handle = await serve(app, { hostname: "127.0.0.1", tls: { cert: certificate.cert, key: certificate.key }, http2: true });
    const s = connect(`https://127.0.0.1:${handle.port}`, { ca: certificate.cert });
    s.on("error", () => {});
    await once(s, "remoteSettings");
    const streams = await Promise.all([0, 1].map(() => open(s, "/echo", {}, "websocket", handle.port)));
    const goaway = once(s, "goaway");
    // The client never closes its session: close must not wait for it.
    await handle.close();
    await goaway;
    for (const o of streams) expect(o.frames).toEqual(["close:1001:server shutting down"]);
    s.destroy();
  });
});

describe("the close timeout over HTTP/2", () => {
  it("a stream that never answers the server's close is reset after closeTimeout; the session's other streams live on", async () => {
    const app = new Rookery({ logger: () => {} });
    const closed: string[] = [];
    app
      .ws("/echo")
      .onmessage((conn, message) => (message === "close-me" ? conn.close(4000, "done") : void conn.send(message)))
      .onclose((_c, reason, code) => void closed.push(`${code}:${reason}`));
    const handle = await serve(app, { hostname: "127.0.0.1", tls: { cert: certificate.cert, key: certificate.key }, http2: true, closeTimeout: 300 });
    try {
      const s = connect(`https://127.0.0.1:${handle.port}`, { ca: certificate.cert });
      s.on("error", () => {});
      await once(s, "remoteSettings");
      // A bare stream: it reads what comes and never writes a close frame back, nor ends its side.
      const silent = s.request(
        { ":method": "CONNECT", ":protocol": "websocket", ":path": "/echo", ":scheme": "https", ":authority": `127.0.0.1:${handle.port}`, "sec-websocket-version": "13" },
        { endStream: false },
      );
      silent.on("error", () => {});
      silent.resume();
      await once(silent, "response");
      const other = await open(s, "/echo", {}, "websocket", handle.port);
      silent.write(clientFrame(1, "close-me"));
      const started = Date.now();
      await once(silent, "close");
      const waited = Date.now() - started;
      expect(waited).toBeGreaterThanOrEqual(250);
      expect(waited).toBeLessThan(2000);
      // Reset with our side still open: no orderly end.
      expect(silent.aborted).toBe(true);
      expect(closed).toEqual(["4000:done"]);
      other.stream.write(clientFrame(1, "still here"));
      await until(() => other.frames.length === 1);
      expect(other.frames).toEqual(["text:still here"]);
      s.close();
    } finally {
      await handle.close();
    }
  });
});

describe("serve with tls and http2", () => {
  // Over HTTP/1.1 node:http calls the `connect` listener with the raw socket, not a response:
  // the listener that refuses tunnels once threw there, out of node's parser (found in review).
  it("a CONNECT over HTTP/1.1 on the same port gets 405 and the server lives on", async () => {
    const app = new Rookery({ logger: () => {} });
    app.ws("/echo").onmessage((conn, message) => void conn.send(message));
    const handle = await serve(app, { hostname: "127.0.0.1", tls: { cert: certificate.cert, key: certificate.key }, http2: true });
    try {
      const socket = tlsConnect({ port: handle.port, host: "127.0.0.1", ca: certificate.cert, ALPNProtocols: ["http/1.1"] });
      socket.on("error", () => {});
      await once(socket, "secureConnect");
      socket.write("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
      let answer = "";
      socket.on("data", (d: Buffer) => (answer += d.toString("latin1")));
      await Promise.race([once(socket, "end"), new Promise((r) => setTimeout(r, 2000))]);
      expect(answer.split("\r\n")[0]).toBe("HTTP/1.1 405 Method Not Allowed");
      socket.destroy();
      const ws = new NodeWs(`wss://127.0.0.1:${handle.port}/echo`, { ca: certificate.cert });
      await once(ws, "open");
      ws.close();
    } finally {
      await handle.close();
    }
  });

  it("one TLS port: WebSockets over HTTP/2 and HTTP/1.1, plain HTTP/2 requests to the fallback, 426 for a plain request on a route", async () => {
    const app = new Rookery({ logger: () => {} });
    app.ws("/echo").onmessage((conn, message) => void conn.send(message));
    const handle = await serve(app, {
      hostname: "127.0.0.1",
      tls: { cert: certificate.cert, key: certificate.key },
      http2: true,
      fetch: (request) => new Response(`fallback for ${new URL(request.url).pathname} host=${request.headers.get("host")} over ${httpVersionOf(request)}`),
    });
    try {
      const s = connect(`https://127.0.0.1:${handle.port}`, { ca: certificate.cert });
      s.on("error", () => {});
      await once(s, "remoteSettings");
      expect(s.remoteSettings.enableConnectProtocol).toBe(true);
      expect(s.remoteSettings.maxConcurrentStreams).toBe(100);
      const o = await open(s, "/echo", {}, "websocket", handle.port);
      o.stream.write(clientFrame(1, "h2 via serve"));
      await until(() => o.frames.length === 1);
      expect(o.frames).toEqual(["text:h2 via serve"]);

      const get = async (path: string) => {
        const req = s.request({ ":path": path });
        const [headers] = (await once(req, "response")) as [Record<string, unknown>];
        let body = "";
        req.on("data", (d: Buffer) => (body += d.toString()));
        await once(req, "end");
        return { status: Number(headers[":status"]), body };
      };
      expect(await get("/page")).toEqual({ status: 200, body: `fallback for /page host=127.0.0.1:${handle.port} over 2` });
      // The HTTP/1.1 answer carries Upgrade and Connection, which HTTP/2 forbids: they are left out.
      expect((await get("/echo")).status).toBe(426);
      s.close();

      const overHttp1 = await new Promise<string>((resolve, reject) => {
        const req = httpsRequest({ host: "127.0.0.1", port: handle.port, path: "/page", ca: certificate.cert }, (res) => {
          let body = "";
          res.on("data", (d: Buffer) => (body += d.toString()));
          res.on("end", () => resolve(body));
        });
        req.on("error", reject);
        req.end();
      });
      expect(overHttp1).toBe(`fallback for /page host=127.0.0.1:${handle.port} over 1.1`);

      const ws = new NodeWs(`wss://127.0.0.1:${handle.port}/echo`, { ca: certificate.cert });
      await once(ws, "open");
      ws.send("h1 via serve");
      expect(String(((await once(ws, "message")) as [Buffer])[0])).toBe("h1 via serve");
      ws.close();
    } finally {
      await handle.close();
    }
  });

  it("tls alone serves wss:// over HTTP/1.1; http2 without tls and a bad maxStreams are refused", async () => {
    const app = new Rookery({ logger: () => {} });
    app.ws("/echo").onmessage((conn, message) => void conn.send(message));
    const handle = await serve(app, { hostname: "127.0.0.1", tls: { cert: certificate.cert, key: certificate.key } });
    try {
      const ws = new NodeWs(`wss://127.0.0.1:${handle.port}/echo`, { ca: certificate.cert });
      await once(ws, "open");
      ws.send("tls");
      expect(String(((await once(ws, "message")) as [Buffer])[0])).toBe("tls");
      ws.close();
    } finally {
      await handle.close();
    }
    await expect(serve(app, { http2: true })).rejects.toThrow(TypeError);
    await expect(serve(app, { tls: { cert: certificate.cert, key: certificate.key }, http2: true, maxStreams: 0 })).rejects.toThrow(RangeError);
  });
});

describe("serve with tls: a client that never finishes its request head", () => {
  it.each([false, true])("is answered 408 and dropped after handshakeTimeout (http2: %s)", async (http2) => {
    const app = new Rookery({ logger: () => {} });
    app.ws("/ws");
    const handle = await serve(app, { hostname: "127.0.0.1", tls: { cert: certificate.cert, key: certificate.key }, http2, handshakeTimeout: 500 });
    try {
      const socket = tlsConnect({ host: "127.0.0.1", port: handle.port, ca: certificate.cert, ALPNProtocols: ["http/1.1"] });
      await once(socket, "secureConnect");
      let answer = "";
      socket.on("data", (d: Buffer) => (answer += d.toString()));
      socket.write("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n");
      const started = Date.now();
      await once(socket, "end");
      expect(Date.now() - started).toBeLessThan(3000);
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      socket.destroy();
    } finally {
      await handle.close();
    }
  });
});

describe("per-stream bounds: concurrent streams, idle streams, inbound flow control", () => {
  let handle: Awaited<ReturnType<typeof serve>>;
  let release: () => void = () => {};
  let gate: Promise<void> = Promise.resolve();
  beforeAll(async () => {
    const app = new Rookery({ logger: () => {} });
    app.ws("/echo").onmessage((conn, message) => void conn.send(message));
    app.ws("/idle").idleTimeout(1).onmessage((conn, message) => void conn.send(message));
    // Each message waits for the gate; past 64 KiB waiting, the stream stops being read.
    app
      .ws("/slow")
      .maxBacklog(64 * 1024)
      .onmessage(async (conn, message) => {
        await gate;
        conn.send(message);
      });
    handle = await serve(app, { hostname: "127.0.0.1", tls: { cert: certificate.cert, key: certificate.key }, http2: true, maxStreams: 3 });
  });
  afterAll(() => handle.close());

  async function servedSession(): Promise<ClientHttp2Session> {
    const s = connect(`https://127.0.0.1:${handle.port}`, { ca: certificate.cert });
    s.on("error", () => {});
    await once(s, "remoteSettings");
    return s;
  }

  it("maxStreams: node:http2's client holds a stream past the bound back; one that sends it anyway is reset; open sockets live on", async () => {
    const s = await servedSession();
    expect(s.remoteSettings.maxConcurrentStreams).toBe(3);
    const three = await Promise.all([0, 1, 2].map(() => open(s, "/echo", {}, "websocket", handle.port)));
    let fourthOpened = false;
    const fourth = open(s, "/echo", {}, "websocket", handle.port).then((o) => {
      fourthOpened = true;
      return o;
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(fourthOpened).toBe(false);
    for (const [k, o] of three.entries()) o.stream.write(clientFrame(1, `still ${k}`));
    await until(() => three.every((o) => o.frames.length === 1));
    expect(three.map((o) => o.frames[0])).toEqual(["text:still 0", "text:still 1", "text:still 2"]);
    // One closes, and the held-back stream goes out. Sent the moment the client saw the close,
    // it may reach the server before the server has let go of the old stream (Node then resets
    // it with ENHANCE_YOUR_CALM), so it counts as room only once a stream opens.
    three[0]!.stream.write(clientFrame(8, closeBody(1000)));
    await three[0]!.ended;
    let next = await fourth.catch(() => undefined);
    for (let tries = 0; !next && tries < 20; tries++) {
      await new Promise((r) => setTimeout(r, 25));
      next = await open(s, "/echo", {}, "websocket", handle.port).catch(() => undefined);
    }
    next!.stream.write(clientFrame(1, "room again"));
    await until(() => next!.frames.length === 1);
    s.close();

    // A client that opens four at once, whatever the SETTINGS say: the fourth is refused (REFUSED_STREAM, 7).
    const raw = await rawHttp2Client(handle.port);
    try {
      for (const id of [1, 3, 5, 7]) raw.connect(id, "/echo");
      await until(() => raw.events.length >= 4);
      expect([...raw.events].sort()).toEqual(["headers 1 :status 200", "headers 3 :status 200", "headers 5 :status 200", "rst 7 code 7"]);
    } finally {
      raw.socket.destroy();
    }
  });

  it("idleTimeout per stream: a silent stream is pinged, then dropped, while a busy one on the same session lives on", async () => {
    const s = await servedSession();
    const [silent, busy] = await Promise.all([open(s, "/idle", {}, "websocket", handle.port), open(s, "/idle", {}, "websocket", handle.port)]);
    let sent = 0;
    const timer = setInterval(() => busy.stream.write(clientFrame(1, `beat ${sent++}`)), 200);
    try {
      await until(() => silent.frames.includes("ping:0"), 3000);
      await silent.ended;
      expect(busy.stream.closed).toBe(false);
      const before = busy.frames.length;
      await until(() => busy.frames.length > before + 1);
    } finally {
      clearInterval(timer);
      s.close();
    }
  }, 10_000);

  it("inbound flow control: a stream whose handler is behind stops being read, HTTP/2 holds the client back, and nothing is lost", async () => {
    gate = new Promise((r) => (release = r));
    const s = await servedSession();
    const slow = await open(s, "/slow", {}, "websocket", handle.port);
    const other = await open(s, "/echo", {}, "websocket", handle.port);
    const messages = 64;
    for (let i = 0; i < messages; i++) slow.stream.write(clientFrame(2, new Uint8Array(64 * 1024).fill(i)));
    await new Promise((r) => setTimeout(r, 500));
    // The server took at most its backlog and the stream's window: most of 4 MiB still waits in the client.
    expect(slow.stream.writableLength).toBeGreaterThan(2 * 1024 * 1024);
    expect(slow.frames).toEqual([]);
    // The session is not held up: another stream on it still echoes.
    other.stream.write(clientFrame(1, "not blocked"));
    await until(() => other.frames.length === 1);
    release();
    await until(() => slow.frames.length === messages, 10_000);
    expect(slow.frames.every((f) => f === `binary:${64 * 1024}`)).toBe(true);
    expect(slow.stream.writableLength).toBe(0);
    s.close();
  }, 15_000);
});


/**
 * The least of an HTTP/2 client, on a raw TLS socket: it opens extended CONNECT streams with the
 * ids it is given, whatever the server's SETTINGS say (node:http2's client holds streams past
 * the bound back), and notes each HEADERS (its :status) and RST_STREAM (its code) it receives.
 */
async function rawHttp2Client(at: number) {
  const socket = tlsConnect({ host: "127.0.0.1", port: at, ca: certificate.cert, ALPNProtocols: ["h2"], servername: "localhost" });
  socket.on("error", () => {});
  await once(socket, "secureConnect");
  const frame = (type: number, flags: number, id: number, payload: Buffer) => {
    const head = Buffer.alloc(9);
    head.writeUIntBE(payload.length, 0, 3);
    head[3] = type;
    head[4] = flags;
    head.writeUInt32BE(id, 5);
    return Buffer.concat([head, payload]);
  };
  // HPACK (RFC 7541 §6.2.2): a literal header without indexing, name and value as plain strings.
  const literal = (name: string, value: string) => Buffer.concat([Buffer.of(0, name.length), Buffer.from(name), Buffer.of(value.length), Buffer.from(value)]);
  socket.write(Buffer.concat([Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), frame(4, 0, 0, Buffer.alloc(0))]));
  const events: string[] = [];
  let received = Buffer.alloc(0);
  socket.on("data", (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
    while (received.length >= 9 && received.length >= 9 + received.readUIntBE(0, 3)) {
      const length = received.readUIntBE(0, 3);
      const [type, flags, id] = [received[3]!, received[4]!, received.readUInt32BE(5) & 0x7fffffff];
      const payload = received.subarray(9, 9 + length);
      received = received.subarray(9 + length);
      if (type === 4 && (flags & 1) === 0) socket.write(frame(4, 1, 0, Buffer.alloc(0))); // SETTINGS: acknowledged
      // HEADERS: a response starts with :status, 0x88 being HPACK's static entry for 200.
      if (type === 1) events.push(`headers ${id} :status ${payload[0] === 0x88 ? "200" : `0x${payload[0]!.toString(16)}`}`);
      if (type === 3) events.push(`rst ${id} code ${payload.readUInt32BE(0)}`);
    }
  });
  return {
    socket,
    events,
    /** Opens stream `id` (odd, rising) as an extended CONNECT to `path`; the stream stays open. */
    connect(id: number, path: string) {
      const block = Buffer.concat([
        literal(":method", "CONNECT"),
        literal(":protocol", "websocket"),
        literal(":scheme", "https"),
        literal(":path", path),
        literal(":authority", `127.0.0.1:${at}`),
        literal("sec-websocket-version", "13"),
      ]);
      socket.write(frame(1, 0x4, id, block));
    },
  };
}
