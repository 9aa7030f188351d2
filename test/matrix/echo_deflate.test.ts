/**
 * `examples/echo.ts --deflate` on node, bun and deno with the Node adapter (Deno's own adapter
 * cannot compress): RFC 7692 negotiation, compressed echo from 0 B to 1 MiB (fragmented, mixed
 * with uncompressed messages, the context kept over 100 messages), and the error and bomb cases,
 * seen from clients nobody here wrote (`ws`) and from a raw client that sends what they never would.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type RunningServer, startServer, type Target } from "../../scripts/spawn_server.ts";
import { bomb, compress, inflate, inflateStream } from "../support/deflate_client.ts";
import { clientFrame, closeBody, RawClient } from "../support/raw_client.ts";

const LIMIT = 2 * 1024 * 1024;
const CHROMIUM_OFFER = { "Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits" };

describe.each<Target>(["node", "bun", "deno-node"])("examples/echo.ts --deflate on %s", (target) => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer(target, "examples/echo.ts", {
      args: ["--port", "0", "--deflate", "--max-payload", String(LIMIT)],
      ready: /listening on ws:\/\/[^:]+:(\d+)\//,
    });
  }, 30_000);
  afterAll(() => server?.stop());

  const handshake = (headers: Record<string, string> = CHROMIUM_OFFER) => RawClient.handshake(server.port, "/echo", headers);

  /** The close code a raw client gets after `frames`, answering the server's close as a client does. */
  async function closeAfter(frames: Buffer[]): Promise<number | undefined> {
    const raw = await handshake();
    for (const f of frames) raw.write(f);
    await raw.until(() => raw.close !== undefined || raw.ended, 10_000);
    if (raw.close && !raw.ended) raw.write(clientFrame(8, closeBody(raw.close.code)));
    const close = await raw.closed();
    return close?.code;
  }

  it("negotiation: Chromium's offer is taken; an offer it cannot honour, or none, gets no extension", async () => {
    const taken = await handshake();
    expect(taken.status).toBe(101);
    expect(taken.response).toMatch(/\r\nsec-websocket-extensions: permessage-deflate(;[^\r]*)?(\r\n|$)/i);
    taken.destroy();
    for (const headers of [{ "Sec-WebSocket-Extensions": "permessage-deflate; server_max_window_bits=8" }, {}] as Record<string, string>[]) {
      const declined = await handshake(headers);
      expect(declined.status).toBe(101);
      expect(declined.response.toLowerCase()).not.toContain("sec-websocket-extensions");
      declined.destroy();
    }
  });

  it("echo from 0 B to 1 MiB, text and binary, sent compressed and not, in order (ws client)", async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/echo`, { perMessageDeflate: { threshold: 0 } });
    await new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    });
    expect(ws.extensions).toMatch(/^permessage-deflate/);
    const sent: string[] = [];
    const received: string[] = [];
    ws.on("message", (data: Buffer, isBinary: boolean) => void received.push(`${isBinary ? "b" : "t"}:${data.length}:${data.subarray(0, 8).toString("hex")}`));
    for (const size of [0, 1, 1023, 1024, 65_536, 1024 * 1024]) {
      const text = "chat line ".repeat(Math.ceil(size / 10)).slice(0, size);
      const binary = Buffer.alloc(size, size % 251);
      for (const [payload, compressIt] of [[text, true], [binary, false], [binary, true], [text, false]] as const) {
        const bytes = Buffer.from(payload);
        sent.push(`${typeof payload === "string" ? "t" : "b"}:${bytes.length}:${bytes.subarray(0, 8).toString("hex")}`);
        ws.send(payload, { compress: compressIt });
      }
    }
    await expect.poll(() => received.length, { timeout: 15_000 }).toBe(sent.length);
    expect(received).toEqual(sent);
    ws.close();
  });

  it("a compressed message in fragments with a ping between, among uncompressed ones", async () => {
    const raw = await handshake();
    const text = "fragmented and compressed ".repeat(100);
    const body = compress(text);
    const third = Math.floor(body.length / 3);
    raw.write(clientFrame(1, "before"));
    raw.write(clientFrame(1, body.subarray(0, third), { fin: false, rsv: 4 }));
    raw.write(clientFrame(9, "ping"));
    raw.write(clientFrame(0, body.subarray(third, 2 * third), { fin: false }));
    raw.write(clientFrame(0, body.subarray(2 * third)));
    raw.write(clientFrame(1, "after"));
    await raw.until(() => raw.frames.filter((f) => f.opcode === 1).length >= 3);
    const texts = raw.frames.filter((f) => f.opcode === 1).map((f) => (f.rsv1 ? inflate(f.payload) : f.payload).toString());
    expect(texts).toEqual(["before", text, "after"]);
    // Replies of 1 KiB or more come back compressed; short ones plain.
    expect(raw.frames.filter((f) => f.opcode === 1).map((f) => f.rsv1)).toEqual([false, true, false]);
    raw.destroy();
  });

  it("the server keeps its context over 100 messages: one deflate stream, later copies far smaller", async () => {
    const raw = await handshake();
    const line = JSON.stringify({ room: "lobby", from: "ann", text: "the same long chat line, again ".repeat(40) });
    expect(line.length).toBeGreaterThan(1024);
    for (let i = 0; i < 100; i++) raw.write(clientFrame(1, line));
    await raw.until(() => raw.frames.length >= 100, 10_000);
    expect(raw.frames.every((f) => f.rsv1)).toBe(true);
    const stream = inflateStream(raw.frames.map((f) => f.payload));
    expect(stream.toString()).toBe(line.repeat(100));
    expect(raw.frames[99]!.payload.length).toBeLessThan(raw.frames[0]!.payload.length / 4);
    raw.destroy();
  });

  it("failures: data that does not inflate 1007, RSV1 on a continuation 1002, a 256 MiB bomb 1009 at the limit", async () => {
    expect(await closeAfter([clientFrame(1, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00]), { rsv: 4 })])).toBe(1007);
    const body = compress("x".repeat(50));
    expect(await closeAfter([clientFrame(1, body, { fin: false, rsv: 4 }), clientFrame(0, Buffer.alloc(0), { rsv: 4 })])).toBe(1002);
    const started = Date.now();
    expect(await closeAfter([clientFrame(2, await bomb(256), { rsv: 4 })])).toBe(1009);
    // Inflating all of it would take seconds and 256 MiB; stopping at the limit takes neither.
    expect(Date.now() - started).toBeLessThan(5000);
  }, 30_000);
});
