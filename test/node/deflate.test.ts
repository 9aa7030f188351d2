/**
 * permessage-deflate (RFC 7692) on the Node adapter, against clients nobody here wrote (`ws`,
 * undici) and a raw client that sends what they never would: compressed fragments, RSV1 where it
 * is not allowed, data that does not inflate, and a bomb.
 */
import { WebSocket as UndiciWebSocket } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { Rookery } from "../../mod.ts";
import { serve, type ServerHandle } from "../../adapters/node.ts";
import { quietApp } from "../support/event_log.ts";
import { bomb, compress, inflate, inflateStream } from "../support/deflate_client.ts";
import { clientFrame, closeBody, RawClient } from "../support/raw_client.ts";

const handles: ServerHandle[] = [];
afterEach(async () => {
  for (const h of handles.splice(0)) await h.close();
});

async function start(app: Rookery): Promise<number> {
  const handle = await serve(app, { hostname: "127.0.0.1", closeTimeout: 500 });
  handles.push(handle);
  return handle.port;
}

function echoApp(deflate: boolean | object = true): { app: Rookery; errors: string[] } {
  const errors: string[] = [];
  const app = quietApp({ perMessageDeflate: deflate as boolean });
  app
    .ws("/echo")
    .maxPayload(2 * 1024 * 1024)
    .onmessage((conn, message) => void conn.send(message))
    .onerror((_c, e) => void errors.push(`${e.code} ${e.message}`));
  return { app, errors };
}

function wsClient(port: number, options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/echo`, { perMessageDeflate: { threshold: 0 }, ...options });
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });
}

function nextMessage(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) => ws.once("message", (data: Buffer, isBinary: boolean) => resolve({ data, isBinary })));
}

const OFFER = { "Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits" };

describe("permessage-deflate on Node: negotiation", () => {
  it("a ws client with compression gets permessage-deflate; a route without it, or an app without it, declines", async () => {
    const { app } = echoApp();
    app.ws("/plain").perMessageDeflate(false).onmessage((c, m) => void c.send(m));
    const port = await start(app);
    const ws = await wsClient(port);
    expect(ws.extensions).toMatch(/^permessage-deflate/);
    ws.close();
    const plain = await new Promise<WebSocket>((resolve, reject) => {
      const w = new WebSocket(`ws://127.0.0.1:${port}/plain`, { perMessageDeflate: true });
      w.once("open", () => resolve(w));
      w.once("error", reject);
    });
    expect(plain.extensions).toBe("");
    plain.close();

    const off = quietApp();
    off.ws("/echo");
    const offPort = await start(off);
    const raw = await RawClient.handshake(offPort, "/echo", OFFER);
    expect(raw.status).toBe(101);
    expect(raw.response.toLowerCase()).not.toContain("sec-websocket-extensions");
    raw.destroy();
  });

  it("the answer carries only valid parameters, and honours server_no_context_takeover", async () => {
    const port = await start(echoApp().app);
    const raw = await RawClient.handshake(port, "/echo", {
      "Sec-WebSocket-Extensions": "permessage-deflate; server_no_context_takeover; client_max_window_bits",
    });
    expect(raw.status).toBe(101);
    expect(raw.response).toMatch(/\r\nsec-websocket-extensions: permessage-deflate; server_no_context_takeover(\r\n|$)/i);
    raw.destroy();
  });

  it("an offer Rookery cannot honour is declined, never a failed handshake", async () => {
    const port = await start(echoApp().app);
    const raw = await RawClient.handshake(port, "/echo", { "Sec-WebSocket-Extensions": "permessage-deflate; server_max_window_bits=8, x-unknown" });
    expect(raw.status).toBe(101);
    expect(raw.response.toLowerCase()).not.toContain("sec-websocket-extensions");
    raw.destroy();
  });
});

describe("permessage-deflate on Node: messages", () => {
  it("echo from 0 B to 1 MiB, text and binary, compressed and not, in order (ws client)", async () => {
    const port = await start(echoApp().app);
    const ws = await wsClient(port);
    const sizes = [0, 1, 100, 1023, 1024, 4096, 65_536, 1024 * 1024];
    for (const size of sizes) {
      const text = "héllo wörld ".repeat(Math.ceil(size / 12)).slice(0, size);
      const binary = Buffer.alloc(size, 7);
      for (const [payload, compressIt] of [[text, true], [binary, false], [binary, true]] as const) {
        const reply = nextMessage(ws);
        ws.send(payload, { compress: compressIt });
        const { data, isBinary } = await reply;
        expect(isBinary).toBe(typeof payload !== "string");
        expect(typeof payload === "string" ? data.toString() : data.equals(payload)).toBe(typeof payload === "string" ? payload : true);
      }
    }
    ws.close();
  });

  it("undici's client negotiates compression and gets its messages back", async () => {
    const port = await start(echoApp().app);
    const ws = new UndiciWebSocket(`ws://127.0.0.1:${port}/echo`);
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = reject;
    });
    expect(ws.extensions).toMatch(/permessage-deflate/);
    const big = JSON.stringify({ items: Array.from({ length: 500 }, (_, i) => ({ id: i, name: `item ${i}` })) });
    const got = new Promise<string>((resolve) => (ws.onmessage = (e) => resolve(String(e.data))));
    ws.send(big);
    expect(await got).toBe(big);
    ws.close();
  });

  it("the server compresses at or over the threshold (RSV1), not under it, and keeps its context over 100 messages", async () => {
    const app = quietApp({ perMessageDeflate: { threshold: 64 } });
    app.ws("/echo").onmessage((conn, message) => void conn.send(message));
    const port = await start(app);
    const raw = await RawClient.handshake(port, "/echo", OFFER);
    const json = JSON.stringify({ user: "alice", room: "lobby", text: "the same chat line, again and again" });
    raw.write(clientFrame(1, "short"));
    for (let i = 0; i < 100; i++) raw.write(clientFrame(1, json));
    await raw.until(() => raw.frames.length >= 101);
    const [first, ...rest] = raw.frames;
    expect(first).toMatchObject({ rsv1: false, payload: Buffer.from("short") });
    expect(rest.every((f) => f.rsv1 && f.opcode === 1)).toBe(true);
    // One continuous deflate stream: each message inflates after the ones before it.
    const all = inflateStream(rest.map((f) => f.payload));
    expect(all.toString()).toBe(json.repeat(100));
    // With the context kept, a repeated line costs a few bytes, far below its first copy.
    expect(rest[99]!.payload.length).toBeLessThan(rest[0]!.payload.length / 4);
    raw.destroy();
  });

  it("empty messages compressed back to back keep the deflate stream whole (threshold 0)", async () => {
    const app = quietApp({ perMessageDeflate: { threshold: 0 } });
    app.ws("/echo").onmessage((conn, message) => void conn.send(message));
    const port = await start(app);
    const raw = await RawClient.handshake(port, "/echo", OFFER);
    for (const text of ["", "", "hello", "", "world"]) raw.write(clientFrame(1, text));
    // An empty compressed payload from the client (no deflate block at all) is an empty message,
    // and does not upset the inflate context for what follows.
    raw.write(clientFrame(1, Buffer.alloc(0), { rsv: 4 }));
    raw.write(clientFrame(1, compress("after"), { rsv: 4 }));
    await raw.until(() => raw.frames.length >= 7);
    expect(raw.frames.every((f) => f.rsv1 && f.payload.length > 0)).toBe(true);
    // One context: each reply inflates after the ones before it.
    const all = inflateStream(raw.frames.map((f) => f.payload));
    expect(all.toString()).toBe("helloworldafter");
    raw.destroy();
  });
});

describe("permessage-deflate on Node: flow", () => {
  it("sends that compress report backpressure while their output waits, and ondrain follows once it is written", async () => {
    const statuses: string[] = [];
    let drained = 0;
    const app = quietApp({ perMessageDeflate: { threshold: 0 } });
    // Incompressible: the compressed copies are as large as the messages, so output piles up.
    const noise = Uint8Array.from({ length: 64 * 1024 }, () => Math.floor(Math.random() * 256));
    app
      .ws("/echo")
      .onmessage((conn) => {
        for (let i = 0; i < 64; i++) statuses.push(conn.send(noise));
      })
      .ondrain(() => void drained++);
    const port = await start(app);
    const raw = await RawClient.handshake(port, "/echo", OFFER);
    raw.write(clientFrame(1, "go"));
    await raw.until(() => raw.frames.length >= 64, 15_000);
    expect(statuses.slice(0, 1)).toEqual(["sent"]);
    expect(statuses).toContain("backpressure");
    expect(statuses).not.toContain("dropped");
    await expect.poll(() => drained, { timeout: 3000 }).toBe(1);
    expect(raw.frames.every((f) => f.rsv1)).toBe(true);
    const all = inflateStream(raw.frames.map((f) => f.payload));
    expect(all.equals(Buffer.concat(Array.from({ length: 64 }, () => Buffer.from(noise))))).toBe(true);
    raw.destroy();
  });
});

describe("permessage-deflate on Node: a peer that half-closes", () => {
  it("a client that sends a message, its close and FIN at once still gets the compressed reply and the close echo", async () => {
    const app = quietApp({ perMessageDeflate: true });
    app.ws("/echo").onmessage((conn) => void conn.send("a".repeat(4 * 1024 * 1024)));
    const port = await start(app);
    const raw = await RawClient.handshake(port, "/echo", OFFER);
    raw.write(Buffer.concat([clientFrame(1, "go"), clientFrame(8, closeBody(1000))]));
    raw.socket.end();
    await raw.closed();
    expect(raw.frames.map((f) => [f.opcode, f.rsv1])).toEqual([
      [1, true],
      [8, false],
    ]);
    expect(inflate(raw.frames[0]!.payload).length).toBe(4 * 1024 * 1024);
  });
});

describe("permessage-deflate on Node: failures", () => {
  /**
   * Sends `frames` and waits for the server's close. The server must then read the peer's answer
   * at once: `onclose` runs long before the (10 s) close timeout would end the socket.
   */
  async function failWith(frames: Buffer[], options: { maxPayload?: number } = {}): Promise<{ close: unknown; errors: string[] }> {
    const errors: string[] = [];
    const closes: number[] = [];
    const app = quietApp({ perMessageDeflate: true });
    app
      .ws("/fail")
      .maxPayload(options.maxPayload ?? 64 * 1024)
      .onmessage((conn, message) => void conn.send(message))
      .onerror((_c, e) => void errors.push(`${e.code} ${e.message}`))
      .onclose((_c, _reason, code) => void closes.push(code));
    const handle = await serve(app, { hostname: "127.0.0.1", closeTimeout: 10_000 });
    handles.push(handle);
    const raw = await RawClient.handshake(handle.port, "/fail", OFFER);
    for (const f of frames) raw.write(f);
    // Answer the server's close as a real client does.
    await raw.until(() => raw.close !== undefined);
    raw.write(clientFrame(8, closeBody(raw.close!.code)));
    const close = await raw.closed();
    await expect.poll(() => closes.length, { timeout: 3000 }).toBe(1);
    return { close, errors };
  }

  it("data that does not inflate: 1007", async () => {
    const { close, errors } = await failWith([clientFrame(1, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00]), { rsv: 4 })]);
    expect(close).toMatchObject({ code: 1007 });
    expect(errors[0]).toMatch(/^1007 Compressed message does not inflate/);
  });

  it("text that inflates to invalid UTF-8: 1007", async () => {
    const { close } = await failWith([clientFrame(1, compress(Buffer.from([0x68, 0xc3, 0x28])), { rsv: 4 })]);
    expect(close).toMatchObject({ code: 1007 });
  });

  it("RSV1 on a continuation frame or a ping, and RSV2: 1002", async () => {
    const body = compress("x".repeat(50));
    for (const frames of [
      [clientFrame(1, body, { fin: false, rsv: 4 }), clientFrame(0, Buffer.alloc(0), { rsv: 4 })],
      [clientFrame(9, "p", { rsv: 4 })],
      [clientFrame(1, body, { rsv: 2 })],
    ]) {
      expect((await failWith(frames)).close).toMatchObject({ code: 1002 });
    }
  });

  it("a bomb: 100 KB that inflates to 256 MiB fails with 1009 at the limit, without inflating the rest", async () => {
    const payload = await bomb(256);
    expect(payload.length).toBeLessThan(300_000);
    const before = process.memoryUsage().arrayBuffers;
    const started = Date.now();
    const { close, errors } = await failWith([clientFrame(2, payload, { rsv: 4 })], { maxPayload: 1024 * 1024 });
    expect(close).toMatchObject({ code: 1009 });
    expect(errors).toEqual([`1009 Message over the limit of ${1024 * 1024} bytes`]);
    // Inflating all 256 MiB takes far longer and far more memory than stopping at 1 MiB.
    expect(Date.now() - started).toBeLessThan(3000);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
  });

  it("a closing handshake waits for the compressed replies sent before it", async () => {
    const app = quietApp({ perMessageDeflate: { threshold: 0 } });
    app.ws("/echo").onmessage((conn, message) => {
      conn.send(message);
      conn.close(1000, "done");
    });
    const port = await start(app);
    const raw = await RawClient.handshake(port, "/echo", OFFER);
    raw.write(clientFrame(1, "last words"));
    await raw.until(() => raw.frames.some((f) => f.opcode === 8));
    const [reply, close] = raw.frames;
    expect(reply!.rsv1).toBe(true);
    expect(inflate(reply!.payload).toString()).toBe("last words");
    expect(close!.opcode).toBe(8);
    raw.write(clientFrame(8, closeBody(1000)));
    await raw.closed();
  });
});
