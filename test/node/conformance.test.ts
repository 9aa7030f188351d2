/**
 * RFC 6455 conformance of the Node adapter, over real sockets with a raw-TCP client,
 * organised by the RFC's sections.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serve, type ServerHandle } from "../../adapters/node.ts";
import { EventLog, quietApp, recordRoute } from "../support/event_log.ts";
import { clientFrame, closeBody, RawClient } from "../support/raw_client.ts";

let server: ServerHandle;
let log: EventLog;

beforeAll(async () => {
  log = new EventLog();
  const app = quietApp();
  const echo = (conn: { send(m: string | Uint8Array): unknown; close(c: number, r: string): void }, m: string | Uint8Array) => {
    if (m === "close-me") conn.close(4000, "done");
    else if (m === "throw") throw new Error("handler bug");
    else conn.send(m);
  };
  recordRoute(app.ws("/echo"), log, echo);
  recordRoute(app.ws("/limit").maxPayload(1000), log, echo);
  recordRoute(app.ws("/lax").allowUnmaskedFrames(), log, echo);
  app.ws("/proto").subprotocols(["chat.v2"]);
  recordRoute(app.ws("/reject").onaccept(() => false) as never, log);
  server = await serve(app, { hostname: "127.0.0.1", closeTimeout: 300 });
});
afterAll(() => server.close());

/** Opens a connection on `path`; returns the client and the index of its server transcript. */
async function open(path = "/echo") {
  const before = log.all.length;
  const c = await RawClient.handshake(server.port, path);
  expect(c.status).toBe(101);
  await waitFor(() => log.all.length > before);
  return { c, n: before };
}

async function waitFor(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("§4 opening handshake", () => {
  it("answers the RFC's sample key with the RFC's accept value", async () => {
    const c = await RawClient.handshake(server.port, "/echo");
    expect(c.response).toMatch(/^HTTP\/1.1 101 /);
    expect(c.response).toMatch(/\r\nsec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=(\r\n|$)/i);
    expect(c.response).not.toMatch(/sec-websocket-protocol/i);
    c.destroy();
  });

  it("selects a subprotocol the client offered, and none otherwise", async () => {
    const a = await RawClient.handshake(server.port, "/proto", { "Sec-WebSocket-Protocol": "chat.v1, chat.v2" });
    expect(a.response).toMatch(/\r\nsec-websocket-protocol: chat.v2(\r\n|$)/i);
    const b = await RawClient.handshake(server.port, "/proto", { "Sec-WebSocket-Protocol": "chat.v1" });
    expect(b.status).toBe(101);
    expect(b.response).not.toMatch(/sec-websocket-protocol/i);
    a.destroy();
    b.destroy();
  });

  it.each([
    ["version 8", { "Sec-WebSocket-Version": "8" }, 426, /sec-websocket-version: 13/i],
    ["no version", { "Sec-WebSocket-Version": null }, 426, /sec-websocket-version: 13/i],
    ["no key", { "Sec-WebSocket-Key": null }, 400, undefined],
    ["a short key", { "Sec-WebSocket-Key": "c2hvcnQ=" }, 400, undefined],
    ["no Connection: Upgrade", { Connection: "keep-alive" }, 400, undefined],
    ["no Upgrade at all", { Upgrade: null, Connection: null }, 426, /upgrade: websocket/i],
  ])("%s → %i", async (_name, headers, status, header) => {
    const before = log.all.length;
    const c = await RawClient.handshake(server.port, "/echo", headers);
    expect(c.status).toBe(status);
    if (header) expect(c.response).toMatch(header);
    c.destroy();
    expect(log.all.length).toBe(before);
  });

  it("onaccept returning false → 403, and no handler runs", async () => {
    const before = log.all.length;
    const c = await RawClient.handshake(server.port, "/reject");
    expect(c.status).toBe(403);
    await c.closed();
    expect(log.all.length).toBe(before);
  });

  it("an unknown path → 404", async () => {
    const c = await RawClient.handshake(server.port, "/nowhere");
    expect(c.status).toBe(404);
    c.destroy();
  });

  it("frames sent right behind the handshake (in the same packet) are read", async () => {
    const client = await RawClient.open(server.port);
    client.write(
      Buffer.concat([
        Buffer.from(
          `GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        ),
        clientFrame(1, "early"),
      ]),
    );
    await client.until(() => client.frames.length > 0);
    expect(client.frames[0]!.payload.toString()).toBe("early");
    client.destroy();
  });
});

describe("§5.2 payload lengths", () => {
  it.each([0, 125, 126, 65535, 65536, 1 << 20])("a %i-byte binary message echoes byte-exact", async (n) => {
    const { c } = await open();
    const payload = Buffer.alloc(n, 0).map((_, i) => (i * 7) & 0xff);
    c.write(clientFrame(2, payload));
    await c.until(() => c.frames.length > 0);
    expect(c.frames[0]!.opcode).toBe(2);
    expect(Buffer.compare(c.frames[0]!.payload, payload)).toBe(0);
    c.destroy();
  });

  it("a message split into 1-byte TCP writes", async () => {
    const { c } = await open();
    const frame = clientFrame(1, "slowly, byte by byte");
    for (const byte of frame) {
      c.write(Uint8Array.of(byte));
      await new Promise((r) => setImmediate(r));
    }
    await c.until(() => c.frames.length > 0);
    expect(c.frames[0]!.payload.toString()).toBe("slowly, byte by byte");
    c.destroy();
  });

  it("many frames in one TCP write", async () => {
    const { c } = await open();
    c.write(Buffer.concat(Array.from({ length: 50 }, (_, i) => clientFrame(1, `m${i}`))));
    await c.until(() => c.frames.length === 50);
    expect(c.frames.map((f) => f.payload.toString())).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
    c.destroy();
  });
});

describe("§5.4 fragmentation and §5.5.2 ping/pong", () => {
  it("reassembles fragments with a ping in between, answering the ping first", async () => {
    const { c } = await open();
    c.write(
      Buffer.concat([
        clientFrame(1, "frag", { fin: false }),
        clientFrame(9, "are you there"),
        clientFrame(0, "men", { fin: false }),
        clientFrame(0, "ted"),
      ]),
    );
    await c.until(() => c.frames.length === 2);
    expect(c.frames.map((f) => [f.opcode, f.payload.toString()])).toEqual([
      [10, "are you there"],
      [1, "fragmented"],
    ]);
    c.destroy();
  });

  it("an unsolicited pong is ignored", async () => {
    const { c } = await open();
    c.write(Buffer.concat([clientFrame(10, "x"), clientFrame(1, "after")]));
    await c.until(() => c.frames.length === 1);
    expect(c.frames[0]!.payload.toString()).toBe("after");
    c.destroy();
  });
});

describe("protocol violations close with 1002 / 1007, then onerror and onclose", () => {
  it.each([
    ["reserved bit", clientFrame(1, "x", { rsv: 4 }), 1002],
    ["reserved opcode", clientFrame(3, "x"), 1002],
    ["fragmented control frame", clientFrame(9, "x", { fin: false }), 1002],
    ["control frame over 125 bytes", clientFrame(9, Buffer.alloc(126)), 1002],
    ["continuation without a start", clientFrame(0, "x"), 1002],
    ["data frame inside a fragmented message", Buffer.concat([clientFrame(1, "a", { fin: false }), clientFrame(1, "b")]), 1002],
    ["unmasked frame", clientFrame(1, "x", { mask: false }), 1002],
    ["invalid close code", clientFrame(8, closeBody(1005)), 1002],
    ["1-byte close body", clientFrame(8, Buffer.from([1])), 1002],
    ["invalid UTF-8 text", clientFrame(1, Buffer.from([0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xed, 0xa0, 0x80])), 1007],
    ["overlong UTF-8", clientFrame(1, Buffer.from([0xc0, 0xaf])), 1007],
  ])("%s → %i", async (_name, frame, code) => {
    const { c, n } = await open();
    c.write(frame);
    const close = await c.closed();
    expect(close?.code).toBe(code);
    const events = await log.closed(n);
    expect(events[0]).toBe("open");
    expect(events.slice(1, 2)).toEqual([`error:${code}`]);
    expect(events[2]).toMatch(new RegExp(`^close:${code}:`));
    expect(events).toHaveLength(3);
  });

  it("lax mode (allowUnmaskedFrames) accepts unmasked frames", async () => {
    const { c } = await open("/lax");
    c.write(clientFrame(1, "plain", { mask: false }));
    await c.until(() => c.frames.length > 0);
    expect(c.frames[0]!.payload.toString()).toBe("plain");
    c.destroy();
  });
});

describe("§5.5.1 closing handshake", () => {
  it("a client close is echoed, the server ends TCP, onclose gets the client's code", async () => {
    const { c, n } = await open();
    c.write(clientFrame(8, closeBody(1000, "bye")));
    expect(await c.closed()).toEqual({ code: 1000, reason: "bye" });
    expect(await log.closed(n)).toEqual(["open", "close:1000:bye"]);
  });

  it("an empty close is echoed empty and reported as 1005", async () => {
    const { c, n } = await open();
    c.write(clientFrame(8));
    expect(await c.closed()).toEqual({ code: 1005, reason: "" });
    expect(await log.closed(n)).toEqual(["open", "close:1005:"]);
  });

  it("a server close sends code and reason and waits for the client's close", async () => {
    const { c, n } = await open();
    c.write(clientFrame(1, "close-me"));
    await c.until(() => c.close !== undefined);
    expect(c.close).toEqual({ code: 4000, reason: "done" });
    expect(c.ended).toBe(false);
    c.write(clientFrame(8, closeBody(4000)));
    await c.closed();
    expect(await log.closed(n)).toEqual(["open", "message:text:close-me", "close:4000:done"]);
  });

  it("a peer that never answers the close is dropped after closeTimeout", async () => {
    const { c, n } = await open();
    c.write(clientFrame(1, "close-me"));
    const started = Date.now();
    await c.closed();
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(await log.closed(n)).toEqual(["open", "message:text:close-me", "close:4000:done"]);
  });

  it("an abrupt TCP drop: onerror 1006, then onclose 1006", async () => {
    const { c, n } = await open();
    c.write(clientFrame(1, "hi"));
    await c.until(() => c.frames.length > 0);
    c.destroy();
    expect(await log.closed(n)).toEqual(["open", "message:text:hi", "error:1006", "close:1006:"]);
  });

  it("a handler that throws closes with 1011", async () => {
    const { c, n } = await open();
    c.write(clientFrame(1, "throw"));
    expect((await c.closed())?.code).toBe(1011);
    expect(await log.closed(n)).toEqual(["open", "message:text:throw", "error:1011", "close:1011:internal error"]);
  });
});

describe("maxPayload, enforced at the frame header", () => {
  it("a header announcing 2^62 bytes closes with 1009 at once, with no payload sent", async () => {
    const { c, n } = await open("/limit");
    c.write(Buffer.from([0x82, 0xff, 0x40, 0, 0, 0, 0, 0, 0, 0]));
    expect((await c.closed())?.code).toBe(1009);
    expect(await log.closed(n)).toEqual(["open", "error:1009", expect.stringMatching(/^close:1009:/)]);
  });

  it("a fragmented message is cut when its running total passes the limit", async () => {
    const { c, n } = await open("/limit");
    c.write(Buffer.concat([clientFrame(2, Buffer.alloc(600), { fin: false }), clientFrame(0, Buffer.alloc(600), { fin: false })]));
    expect((await c.closed())?.code).toBe(1009);
    expect(await log.closed(n)).toEqual(["open", "error:1009", expect.stringMatching(/^close:1009:/)]);
  });

  it("a message of exactly the limit passes", async () => {
    const { c } = await open("/limit");
    c.write(clientFrame(2, Buffer.alloc(1000)));
    await c.until(() => c.frames.length > 0);
    expect(c.frames[0]!.payload.length).toBe(1000);
    c.destroy();
  });
});
