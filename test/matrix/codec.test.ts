/**
 * Rookery's own codec at the transport level, on Node and on Deno through the Node adapter
 * (`rookery/node` on Deno's `node:http` and `node:net`): the RFC 6455 cases that depend on how
 * bytes arrive and leave (split writes, frames in the handshake's packet, the closing handshake's
 * timeout), which the in-process conformance suite (test/node/conformance.test.ts) checks on Node
 * only. The matrix fixture's transcript (`GET /events`) shows the server's side.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer, type Target } from "../../scripts/spawn_server.ts";
import { clientFrame, RawClient } from "../support/raw_client.ts";

let tags = 0;

describe.each<Target>(["node", "deno-node"])("Rookery's codec on %s", (target) => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer(target, "test/matrix/fixture_server.ts");
  }, 30_000);
  afterAll(() => server?.stop());

  const events = async (tag: string): Promise<string[]> =>
    (await (await fetch(`http://127.0.0.1:${server.port}/events?t=${tag}`)).json()) as string[];
  /** Waits until the server's transcript for `tag` holds `count` events (or a close). */
  const transcript = async (tag: string, done: (e: string[]) => boolean, ms = 5000): Promise<string[]> => {
    const end = Date.now() + ms;
    for (;;) {
      const e = await events(tag);
      if (done(e) || Date.now() > end) return e;
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const closedIn = (e: string[]) => e.some((x) => x.startsWith("close:"));
  const open = async (route = "/echo") => {
    const tag = `codec-${++tags}`;
    const c = await RawClient.handshake(server.port, `${route}?t=${tag}`);
    expect(c.status).toBe(101);
    return { c, tag };
  };

  it("§4.2.2: the RFC's sample key gets the RFC's accept value", async () => {
    const { c } = await open();
    expect(c.response).toMatch(/\r\nsec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=(\r\n|$)/i);
    c.destroy();
  });

  it("frames sent in the handshake's own packet are read", async () => {
    const c = await RawClient.open(server.port);
    const head =
      `GET /echo?t=codec-early HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    c.write(Buffer.concat([Buffer.from(head), clientFrame(1, "early")]));
    await c.until(() => c.frames.length >= 1);
    expect(c.frames[0]!.payload.toString()).toBe("early");
    c.destroy();
  });

  it("a message split into 1-byte TCP writes, and many frames in one write", async () => {
    const { c } = await open();
    const frame = clientFrame(1, "héllo");
    for (const byte of frame) {
      c.write(Buffer.from([byte]));
      await new Promise((r) => setTimeout(r, 1));
    }
    await c.until(() => c.frames.length >= 1);
    c.write(Buffer.concat(Array.from({ length: 50 }, (_, i) => clientFrame(1, `m${i}`))));
    await c.until(() => c.frames.length >= 51);
    expect(c.frames.map((f) => f.payload.toString())).toEqual(["héllo", ...Array.from({ length: 50 }, (_, i) => `m${i}`)]);
    c.destroy();
  });

  it("§5.4/§5.5.2: fragments with a ping between: the pong comes first, then the whole message; a stray pong is ignored", async () => {
    const { c, tag } = await open();
    c.write(clientFrame(10, "unsolicited"));
    c.write(clientFrame(1, "frag", { fin: false }));
    c.write(clientFrame(9, "are you there"));
    c.write(clientFrame(0, "mented"));
    await c.until(() => c.frames.length >= 2);
    expect(c.frames.map((f) => [f.opcode, f.payload.toString()])).toEqual([
      [10, "are you there"],
      [1, "fragmented"],
    ]);
    expect(await events(tag)).toEqual(["open", "message:text:fragmented"]);
    c.destroy();
  });

  it("§5.5.1: an empty close is echoed empty and reported as 1005; the server ends TCP", async () => {
    const { c, tag } = await open();
    c.write(clientFrame(8));
    await c.closed();
    expect(c.frames.find((f) => f.opcode === 8)!.payload.length).toBe(0);
    expect(await transcript(tag, closedIn)).toEqual(["open", "close:1005:"]);
  });

  it("limits at the frame header: 2^62 bytes announced → 1009 at once; a fragmented message cut at its running total; exactly the limit passes", async () => {
    const huge = await open();
    huge.c.write(Buffer.from([0x82, 0xff, 0x40, 0, 0, 0, 0, 0, 0, 0, 0x37, 0xfa, 0x21, 0x3d]));
    expect((await huge.c.closed())?.code).toBe(1009);

    const cut = await open("/route-limit");
    cut.c.write(clientFrame(2, Buffer.alloc(60), { fin: false }));
    cut.c.write(clientFrame(0, Buffer.alloc(60)));
    await cut.c.until(() => cut.c.close !== undefined);
    expect(cut.c.close?.code).toBe(1009);
    cut.c.destroy();

    const exact = await open("/route-limit");
    exact.c.write(clientFrame(2, Buffer.alloc(100)));
    await exact.c.until(() => exact.c.frames.length >= 1);
    expect(exact.c.frames[0]!.payload.length).toBe(100);
    exact.c.destroy();
  });

  it("a peer that never answers the server's close is dropped after closeTimeout (5 s)", async () => {
    const { c, tag } = await open();
    c.write(clientFrame(1, "close-me"));
    await c.until(() => c.close !== undefined);
    expect(c.close).toEqual({ code: 4000, reason: "done" });
    const started = Date.now();
    await c.until(() => c.ended, 9000);
    expect(Date.now() - started).toBeGreaterThan(3000);
    expect(await transcript(tag, closedIn)).toEqual(["open", "message:text:close-me", "close:4000:done"]);
  }, 15_000);
});
