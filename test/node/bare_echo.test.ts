/**
 * The bench's bare echo (scripts/bench/servers/bare_echo.ts) is a fair baseline for Rookery only
 * if it does the work a correct server must. RFC 6455 cases against it, in its own process: with
 * the raw-TCP client (exact bytes, broken frames) and with the `ws` package's and undici's clients.
 */
import { WebSocket as UndiciWebSocket } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WsClient from "ws";
import { type RunningServer, startServer } from "../../scripts/spawn_server.ts";
import { clientFrame, closeBody, RawClient } from "../support/raw_client.ts";

let server: RunningServer;

beforeAll(async () => {
  server = await startServer("node", "scripts/bench/servers/bare_echo.ts");
});
afterAll(() => server.stop());

async function open(): Promise<RawClient> {
  const c = await RawClient.handshake(server.port, "/echo");
  expect(c.status).toBe(101);
  return c;
}

/** Sends `bytes` and waits for `n` frames back. */
async function exchange(bytes: Uint8Array, n = 1): Promise<RawClient> {
  const c = await open();
  c.write(bytes);
  await c.until(() => c.frames.length >= n);
  return c;
}

const pattern = (n: number) => Buffer.alloc(n).map((_, i) => (i * 7 + (i >> 8)) & 0xff);

describe("§4 opening handshake", () => {
  it("answers the RFC's sample key with the RFC's accept value", async () => {
    const c = await RawClient.handshake(server.port, "/echo");
    expect(c.response).toMatch(/^HTTP\/1.1 101 /);
    expect(c.response).toMatch(/\r\nsec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=(\r\n|$)/i);
    c.destroy();
  });

  it("accepts tokens in any case and among others", async () => {
    const c = await RawClient.handshake(server.port, "/echo?x=1", { Upgrade: "WebSocket", Connection: "keep-alive, UPGRADE" });
    expect(c.status).toBe(101);
    c.destroy();
  });

  it.each([
    ["version 8", { "Sec-WebSocket-Version": "8" }, 426, /sec-websocket-version: 13/i],
    ["no version", { "Sec-WebSocket-Version": null }, 426, /sec-websocket-version: 13/i],
    ["no key", { "Sec-WebSocket-Key": null }, 400, undefined],
    ["a short key", { "Sec-WebSocket-Key": "c2hvcnQ=" }, 400, undefined],
    ["a 24-character key that is not base64 of 16 bytes", { "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ!!" }, 400, undefined],
    ["no Connection: Upgrade", { Connection: "keep-alive" }, 400, undefined],
    ["no Upgrade at all", { Upgrade: null, Connection: null }, 426, /upgrade: websocket/i],
    ["no Host", { Host: null }, 400, undefined],
  ])("%s → %i, and the connection ends", async (_name, headers, status, header) => {
    const c = await RawClient.handshake(server.port, "/echo", headers);
    expect(c.status).toBe(status);
    if (header) expect(c.response).toMatch(header);
    await c.until(() => c.ended);
  });

  it("another path → 404", async () => {
    const c = await RawClient.handshake(server.port, "/nowhere");
    expect(c.status).toBe(404);
    await c.until(() => c.ended);
  });

  it("a POST → 400", async () => {
    const c = await RawClient.open(server.port);
    c.write(
      "POST /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    );
    await c.until(() => c.ended);
    expect(c.response).toMatch(/^HTTP\/1.1 400 /);
  });

  it("a request head split over writes, and frames right behind it in the last one", async () => {
    const c = await RawClient.open(server.port);
    const head = "GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    c.write(head);
    await new Promise((r) => setTimeout(r, 20));
    c.write(Buffer.concat([Buffer.from("Sec-WebSocket-Version: 13\r\n\r\n"), clientFrame(1, "early"), clientFrame(1, "bird")]));
    await c.until(() => c.frames.length === 2);
    expect(c.response).toMatch(/^HTTP\/1.1 101 /);
    expect(c.frames.map((f) => f.payload.toString())).toEqual(["early", "bird"]);
    c.destroy();
  });
});

describe("§5.2 echo, byte-exact, of every length form", () => {
  it.each([0, 1, 125, 126, 1000, 65535, 65536, 1 << 20])("a %i-byte binary message", async (n) => {
    const payload = pattern(n);
    const c = await exchange(clientFrame(2, payload));
    expect(c.frames[0]!.opcode).toBe(2);
    expect(c.frames[0]!.fin).toBe(true);
    expect(Buffer.compare(c.frames[0]!.payload, payload)).toBe(0);
    c.destroy();
  });

  it.each([0, 32, 200, 16 * 1024, 70_000, 1 << 20])("a text message of about %i bytes, multi-byte characters included", async (n) => {
    const text = "héllo wörld 😀 ".repeat(Math.ceil(n / 20));
    const c = await exchange(clientFrame(1, text));
    expect(c.frames[0]!.opcode).toBe(1);
    expect(c.frames[0]!.payload.toString()).toBe(text);
    c.destroy();
  });

  it("a message split into 1-byte TCP writes", async () => {
    const c = await open();
    for (const byte of clientFrame(1, "slowly, byte by byte, a frame of more than sixty-four bytes in all")) {
      c.write(Uint8Array.of(byte));
      await new Promise((r) => setImmediate(r));
    }
    await c.until(() => c.frames.length > 0);
    expect(c.frames[0]!.payload.toString()).toBe("slowly, byte by byte, a frame of more than sixty-four bytes in all");
    c.destroy();
  });

  it("many frames in one TCP write, answered in order", async () => {
    const c = await exchange(Buffer.concat(Array.from({ length: 200 }, (_, i) => clientFrame(i % 2 ? 2 : 1, `m${i}`))), 200);
    expect(c.frames.map((f) => f.payload.toString())).toEqual(Array.from({ length: 200 }, (_, i) => `m${i}`));
    expect(c.frames.map((f) => f.opcode)).toEqual(Array.from({ length: 200 }, (_, i) => (i % 2 ? 2 : 1)));
    c.destroy();
  });

  it("a large frame across reads, then small ones in the same write", async () => {
    const big = pattern(300_000);
    const c = await exchange(Buffer.concat([clientFrame(2, big), clientFrame(1, "a"), clientFrame(1, "b"), clientFrame(2, big)]), 4);
    expect(Buffer.compare(c.frames[0]!.payload, big)).toBe(0);
    expect(c.frames.slice(1, 3).map((f) => f.payload.toString())).toEqual(["a", "b"]);
    expect(Buffer.compare(c.frames[3]!.payload, big)).toBe(0);
    c.destroy();
  });
});

describe("§5.4 fragmentation and §5.5.2 ping/pong", () => {
  it("reassembles fragments with a ping in between, answering the ping first", async () => {
    const c = await exchange(
      Buffer.concat([
        clientFrame(1, "frag", { fin: false }),
        clientFrame(9, "are you there"),
        clientFrame(0, "men", { fin: false }),
        clientFrame(0, "ted"),
      ]),
      2,
    );
    expect(c.frames.map((f) => [f.opcode, f.payload.toString()])).toEqual([
      [10, "are you there"],
      [1, "fragmented"],
    ]);
    c.destroy();
  });

  it("a character split across fragments; binary fragments; an empty final fragment", async () => {
    const smile = Buffer.from("😀");
    const c = await exchange(
      Buffer.concat([
        clientFrame(1, smile.subarray(0, 2), { fin: false }),
        clientFrame(0, smile.subarray(2)),
        clientFrame(2, pattern(70_000), { fin: false }),
        clientFrame(0, pattern(10)),
        clientFrame(2, "x", { fin: false }),
        clientFrame(0, ""),
      ]),
      3,
    );
    expect(c.frames[0]!.payload.toString()).toBe("😀");
    expect(Buffer.compare(c.frames[1]!.payload, Buffer.concat([pattern(70_000), pattern(10)]))).toBe(0);
    expect(c.frames[2]!.payload.toString()).toBe("x");
    c.destroy();
  });

  it("an unsolicited pong is ignored", async () => {
    const c = await exchange(Buffer.concat([clientFrame(10, "x"), clientFrame(1, "after")]));
    expect(c.frames.map((f) => f.payload.toString())).toEqual(["after"]);
    c.destroy();
  });
});

describe("protocol violations fail the connection with a close frame, then TCP ends", () => {
  it.each([
    ["unmasked frame", clientFrame(1, "x", { mask: false }), 1002],
    ["reserved bit RSV1 (no extension)", clientFrame(1, "x", { rsv: 4 }), 1002],
    ["reserved bit RSV3", clientFrame(2, "x", { rsv: 1 }), 1002],
    ["reserved data opcode", clientFrame(3, "x"), 1002],
    ["reserved control opcode", clientFrame(11, "x"), 1002],
    ["fragmented control frame", clientFrame(9, "x", { fin: false }), 1002],
    ["control frame over 125 bytes", clientFrame(9, Buffer.alloc(126)), 1002],
    ["continuation without a start", clientFrame(0, "x"), 1002],
    ["data frame inside a fragmented message", Buffer.concat([clientFrame(1, "a", { fin: false }), clientFrame(1, "b")]), 1002],
    ["64-bit length with the high bit set", Buffer.from([0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0]), 1002],
    ["invalid UTF-8 text", clientFrame(1, Buffer.from([0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xed, 0xa0, 0x80])), 1007],
    ["overlong UTF-8", clientFrame(1, Buffer.from([0xc0, 0xaf])), 1007],
    ["invalid UTF-8 across fragments", Buffer.concat([clientFrame(1, "ok", { fin: false }), clientFrame(0, Buffer.from([0xff]))]), 1007],
    ["a header announcing 2^62 bytes", Buffer.from([0x82, 0xff, 0x40, 0, 0, 0, 0, 0, 0, 0]), 1009],
    ["a frame just over 64 MiB, refused at its header", clientFrame(2, "", { length: 64 * 1024 * 1024 + 1 }), 1009],
    ["invalid close code 1005", clientFrame(8, closeBody(1005)), 1002],
    ["1-byte close body", clientFrame(8, Buffer.from([3])), 1002],
    ["close reason not UTF-8", clientFrame(8, Buffer.concat([closeBody(1000), Buffer.from([0xff])])), 1007],
  ])("%s → %i", async (_name, frame, code) => {
    const c = await open();
    c.write(Buffer.concat([clientFrame(1, "before"), frame, clientFrame(1, "after")]));
    const close = await c.closed();
    expect(close?.code).toBe(code);
    // Nothing after the offending frame is answered.
    expect(c.frames.map((f) => f.opcode)).toEqual([1, 8]);
  });

  it.each([999, 1004, 1006, 1015, 1016, 2999, 5000])("close code %i → 1002", async (code) => {
    const c = await open();
    c.write(clientFrame(8, closeBody(code)));
    expect((await c.closed())?.code).toBe(1002);
  });
});

describe("§5.5.1 closing handshake", () => {
  it.each([1000, 1001, 1003, 1007, 1011, 1014, 3000, 4999])("a close with code %i is echoed with its code and reason, then TCP ends", async (code) => {
    const c = await open();
    c.write(Buffer.concat([clientFrame(8, closeBody(code, "bye")), clientFrame(1, "ignored")]));
    expect(await c.closed()).toEqual({ code, reason: "bye" });
    expect(c.frames).toHaveLength(1);
  });

  it("an empty close is echoed empty", async () => {
    const c = await open();
    c.write(clientFrame(8));
    expect(await c.closed()).toEqual({ code: 1005, reason: "" });
    expect(c.frames[0]!.payload.length).toBe(0);
  });
});

/** A tiny common face over both clients. */
interface TestClient {
  send(m: string | Uint8Array): void;
  next(): Promise<{ data: string | Uint8Array; binary: boolean }>;
  close(code?: number, reason?: string): void;
  closed: Promise<{ code: number; reason: string }>;
}

function queue() {
  const items: { data: string | Uint8Array; binary: boolean }[] = [];
  let wake: (() => void) | undefined;
  return {
    push(item: { data: string | Uint8Array; binary: boolean }) {
      items.push(item);
      wake?.();
    },
    async next() {
      while (items.length === 0) await new Promise<void>((r) => (wake = r));
      return items.shift()!;
    },
  };
}

async function undici(): Promise<TestClient> {
  const ws = new UndiciWebSocket(`ws://127.0.0.1:${server.port}/echo`);
  ws.binaryType = "arraybuffer";
  const q = queue();
  ws.addEventListener("message", (e) => {
    q.push(typeof e.data === "string" ? { data: e.data, binary: false } : { data: new Uint8Array(e.data as ArrayBuffer), binary: true });
  });
  const closed = new Promise<{ code: number; reason: string }>((r) => ws.addEventListener("close", (e) => r({ code: e.code, reason: e.reason })));
  await new Promise((resolve, reject) => {
    ws.addEventListener("open", resolve);
    ws.addEventListener("error", reject);
  });
  return { send: (m) => ws.send(m), next: q.next, close: (code, reason) => ws.close(code, reason), closed };
}

async function wsPackage(): Promise<TestClient> {
  const ws = new WsClient(`ws://127.0.0.1:${server.port}/echo`);
  const q = queue();
  ws.on("message", (data: Buffer, isBinary: boolean) => {
    q.push(isBinary ? { data: new Uint8Array(data), binary: true } : { data: data.toString(), binary: false });
  });
  const closed = new Promise<{ code: number; reason: string }>((r) => ws.on("close", (code: number, reason: Buffer) => r({ code, reason: reason.toString() })));
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  return { send: (m) => ws.send(m), next: q.next, close: (code, reason) => ws.close(code, reason), closed };
}

describe.each([
  ["undici WebSocket", undici],
  ["ws client", wsPackage],
])("with the %s", (_name, connect) => {
  it("text, including non-ASCII, and binary round trips, in order", async () => {
    const c = await connect();
    c.send("héllo wörld 😀");
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => i % 251);
    c.send(bytes);
    for (let i = 0; i < 100; i++) c.send(`#${i}`);
    expect(await c.next()).toEqual({ data: "héllo wörld 😀", binary: false });
    expect(await c.next()).toEqual({ data: bytes, binary: true });
    for (let i = 0; i < 100; i++) expect((await c.next()).data).toBe(`#${i}`);
    c.close();
    await c.closed;
  });

  it("a 1 MiB message each way", async () => {
    const c = await connect();
    const big = new Uint8Array(1 << 20).map((_, i) => (i * 31) & 0xff);
    c.send(big);
    const back = await c.next();
    expect(back.binary).toBe(true);
    expect(Buffer.compare(Buffer.from(back.data as Uint8Array), Buffer.from(big))).toBe(0);
    c.close();
    await c.closed;
  });

  it("a close with code and reason comes back with both", async () => {
    const c = await connect();
    c.close(4001, "client leaving");
    expect(await c.closed).toEqual({ code: 4001, reason: "client leaving" });
  });

  it("a close without a code comes back as 1005", async () => {
    const c = await connect();
    c.close();
    expect((await c.closed).code).toBe(1005);
  });
});
