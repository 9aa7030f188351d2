/**
 * `examples/echo.ts --http2` (Node adapter) on every runtime that runs it: Node, and Deno and Bun
 * through their own `node:http2` with `--adapter node`. node:http2's client opens WebSockets as
 * extended CONNECT streams (RFC 8441); an HTTP/1.1 client upgrades on the same TLS port. The
 * multiplexing cases: 50 streams of one session in order, one failed stream among ten, 1 MiB on
 * three streams at once, a client reset mid-message. Every frame case: http2_frames.test.ts.
 */
import { execFile } from "node:child_process";
import { once } from "node:events";
import { type ClientHttp2Session, connect, createSecureServer } from "node:http2";
import { resolve as resolvePath } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import NodeWs from "ws";
import { attachHttp2 } from "../../adapters/node.ts";
import { Rookery } from "../../mod.ts";
import { type RunningServer, startServer } from "../../scripts/spawn_server.ts";
import { type Certificate, selfSignedCertificate } from "../support/certificate.ts";
import { HTTP2_TARGETS, openStream } from "../support/h2_client.ts";
import { clientFrame, closeBody } from "../support/raw_client.ts";

const root = resolvePath(import.meta.dirname, "../..");
const certificate: Certificate = selfSignedCertificate();
afterAll(() => certificate.remove());

const TARGETS = HTTP2_TARGETS;

describe.each(TARGETS)("echo over HTTP/2 on %s", (target, extra) => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer(target, "examples/echo.ts", {
      args: ["--port", "0", "--tls-cert", certificate.certFile, "--tls-key", certificate.keyFile, "--http2", ...extra],
      ready: /listening on wss:\/\/[^:]+:(\d+)/,
    });
  }, 30_000);
  afterAll(() => server?.stop());

  async function session(): Promise<ClientHttp2Session> {
    const s = connect(`https://127.0.0.1:${server.port}`, { ca: certificate.cert });
    s.on("error", () => {});
    await once(s, "remoteSettings");
    return s;
  }

  /** An extended CONNECT to /echo (or `path`). */
  const open = (s: ClientHttp2Session, headers: Record<string, string> = {}, path = "/echo") => openStream(s, server.port, path, headers);

  const until = async (check: () => boolean, ms = 5000) => {
    const end = Date.now() + ms;
    while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    expect(check()).toBe(true);
  };

  it("the handshake: 200 for version 13, 426 otherwise, 404 for another path", async () => {
    const s = await session();
    expect(s.remoteSettings.enableConnectProtocol).toBe(true);
    expect((await open(s)).status).toBe(200);
    const old = await open(s, { "sec-websocket-version": "8" });
    expect([old.status, old.headers["sec-websocket-version"]]).toEqual([426, "13"]);
    expect((await open(s, {}, "/elsewhere")).status).toBe(404);
    s.close();
  });

  it("echo of text, binary and fragments over two streams of one session, then the closing handshake", async () => {
    const s = await session();
    const [a, b] = await Promise.all([open(s), open(s)]);
    a.stream.write(clientFrame(1, "héllo over h2"));
    a.stream.write(clientFrame(2, new Uint8Array(70_000).fill(1)));
    b.stream.write(Buffer.concat([clientFrame(1, "frag", { fin: false }), clientFrame(0, "ment")]));
    await until(() => a.frames.length === 2 && b.frames.length === 1);
    expect(a.frames).toEqual(["text:héllo over h2", "binary:70000"]);
    expect(b.frames).toEqual(["text:fragment"]);
    a.stream.write(clientFrame(8, closeBody(1000, "done")));
    await a.ended;
    expect(a.frames.at(-1)).toBe("close:1000:done");
    // The other stream of the session lives on.
    b.stream.write(clientFrame(1, "still"));
    await until(() => b.frames.length === 2);
    s.close();
  });

  it("a protocol error fails only its stream (1002); the session opens another", async () => {
    const s = await session();
    const bad = await open(s);
    bad.stream.write(clientFrame(1, "x", { mask: false }));
    await bad.ended;
    expect(bad.frames[0]).toMatch(/^close:1002:/);
    const good = await open(s);
    good.stream.write(clientFrame(1, "ok"));
    await until(() => good.frames.length === 1);
    s.close();
  });

  it("50 streams on one session each echo 20 messages, in order", async () => {
    const s = await session();
    const streams = await Promise.all(Array.from({ length: 50 }, () => open(s)));
    streams.forEach((o, k) => {
      for (let i = 0; i < 20; i++) o.stream.write(clientFrame(1, `${k}:${i}`));
    });
    await until(() => streams.every((o) => o.frames.length >= 20), 15_000);
    streams.forEach((o, k) => expect(o.frames).toEqual(Array.from({ length: 20 }, (_, i) => `text:${k}:${i}`)));
    s.close();
  }, 20_000);

  it("an unmasked frame on one of 10 streams fails that one alone (1002); the other 9 echo", async () => {
    const s = await session();
    const streams = await Promise.all(Array.from({ length: 10 }, () => open(s)));
    streams[6]!.stream.write(clientFrame(1, "x", { mask: false }));
    streams.forEach((o, k) => {
      if (k !== 6) o.stream.write(clientFrame(1, `after ${k}`));
    });
    await streams[6]!.ended;
    await until(() => streams.every((o, k) => k === 6 || o.frames.length === 1));
    expect(streams[6]!.frames).toEqual(["close:1002:Unmasked client frame"]);
    streams.forEach((o, k) => k !== 6 && expect(o.frames).toEqual([`text:after ${k}`]));
    s.close();
  });

  it("1 MiB messages on 3 streams at once each come back whole", async () => {
    const s = await session();
    const streams = await Promise.all(Array.from({ length: 3 }, () => open(s)));
    for (const [k, o] of streams.entries()) o.stream.write(clientFrame(2, new Uint8Array(1 << 20).fill(k + 1)));
    await until(() => streams.every((o) => o.frames.length === 1), 15_000);
    for (const o of streams) expect(o.frames).toEqual([`binary:${1 << 20}`]);
    s.close();
  }, 20_000);

  it("a client that resets its stream mid-message leaves the session usable", async () => {
    const s = await session();
    const o = await open(s);
    o.stream.write(clientFrame(2, new Uint8Array(100_000)).subarray(0, 50_000));
    o.stream.close(0x8); // CANCEL
    await o.ended;
    const next = await open(s);
    next.stream.write(clientFrame(1, "after the reset"));
    await until(() => next.frames.length === 1);
    expect(next.frames).toEqual(["text:after the reset"]);
    s.close();
  });

  it("an HTTP/1.1 client upgrades on the same TLS port", async () => {
    const ws = new NodeWs(`wss://127.0.0.1:${server.port}/echo`, { ca: certificate.cert });
    await once(ws, "open");
    ws.send("over h1");
    const [data] = (await once(ws, "message")) as [Buffer];
    expect(data.toString()).toBe("over h1");
    ws.close();
  });
});

describe("Deno's own WebSocket client", () => {
  it("opens its WebSocket as an extended CONNECT stream against an HTTP/2-only server", async () => {
    const app = new Rookery({ logger: () => {} });
    app.ws("/echo").onmessage((conn, message) => void conn.send(`echo:${message as string}`));
    const server = createSecureServer({ key: certificate.key, cert: certificate.cert, settings: { enableConnectProtocol: true } });
    const streams: string[] = [];
    server.on("stream", (_stream, headers) => void streams.push(`${headers[":method"]} ${headers[":protocol"]} ${headers[":path"]}`));
    const sockets = attachHttp2(app, server);
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const port = (server.address() as { port: number }).port;
    try {
      const output = await new Promise<string>((resolve, reject) => {
        execFile(
          resolvePath(root, "node_modules/.bin/deno"),
          ["run", "-A", "--quiet", "--cert", certificate.certFile, "test/deno/ws_client.ts", `wss://127.0.0.1:${port}/echo`],
          { cwd: root, timeout: 20_000 },
          (error, stdout) => (error ? reject(new Error(`${error.message}\n${stdout}`)) : resolve(stdout)),
        );
      });
      expect(output.trim()).toBe("REPLY echo:from deno");
      expect(streams).toEqual(["CONNECT websocket /echo"]);
    } finally {
      await sockets.close();
      server.close();
    }
  }, 30_000);
});
