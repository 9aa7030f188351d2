/**
 * Hostile frame streams on every runtime, with the server's memory (heap and array buffers after
 * a forced GC) bounded: endless empty or one-byte fragments, and pings from a client that never
 * reads. Where Rookery's codec reads the socket (Node) a message in too many fragments ends the
 * connection with 1008, and with no payload limit at all a text too long for a string ends it
 * with 1009: the connection, never the process.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, type Runtime, startServer } from "../../scripts/spawn_server.ts";
import { type Batches, flood } from "../support/flood.ts";
import { RawClient } from "../support/raw_client.ts";

const MiB = 1024 * 1024;
const PER_WRITE = 64 * 1024;

/** `count` frames with a zero mask key: `first` once, then `rest` (header bytes, then payload). */
function frames(first: number[], rest: number[], payload: number[] = []): Batches {
  const frame = (b0: number) => [b0, 0x80 | payload.length, 0, 0, 0, 0, ...payload];
  const body = Buffer.from(Array.from({ length: PER_WRITE }, () => frame(rest[0]!)).flat());
  return (n) => {
    if (n > 0) return { bytes: body, frames: PER_WRITE };
    return { bytes: Buffer.concat([Buffer.from(frame(first[0]!)), body]), frames: PER_WRITE + 1 };
  };
}

const emptyFragments = frames([0x02], [0x00]); // binary start, then empty continuations
const oneByteFragments = frames([0x02], [0x00], [0x61]);
const pings: Batches = (() => {
  const body = Buffer.from(Array.from({ length: PER_WRITE }, () => [0x89, 0x80, 0, 0, 0, 0]).flat());
  return () => ({ bytes: body, frames: PER_WRITE });
})();

async function retained(server: RunningServer): Promise<number> {
  return ((await (await fetch(`http://127.0.0.1:${server.port}/stats`)).json()) as { retained: number }).retained;
}

describe.each<Runtime>(["node", "deno", "bun"])("hostile frames on %s", (runtime) => {
  let server: RunningServer;

  beforeAll(async () => {
    server = await startServer(runtime, "test/hostile/server.ts", { exposeGc: true });
    // Warm up the paths a flood takes before any baseline is read.
    const warm = await RawClient.handshake(server.port, "/limited");
    await flood(warm, { maxBytes: 1 * MiB, ms: 1000, stallMs: 500 }, oneByteFragments);
    warm.destroy();
  }, 30_000);
  afterAll(() => server?.stop());

  it.each([
    ["3M empty fragments", emptyFragments, 3_000_000 * 6],
    ["1M one-byte fragments", oneByteFragments, 1_000_000 * 7],
  ])("%s under a 1 MiB limit: memory stays bounded (Node ends the connection with 1008)", async (_name, batches, bytes) => {
    const before = await retained(server);
    const client = await RawClient.handshake(server.port, "/limited");
    const result = await flood(client, { maxBytes: bytes, ms: 20_000, stallMs: 5000 }, batches);
    if (runtime === "node") {
      await client.until(() => client.close !== undefined, 5000);
      expect(client.close).toEqual({ code: 1008, reason: "Message in more than 16384 fragments" });
      expect(result.frames).toBeLessThan(bytes / 6);
    }
    expect((await retained(server)) - before).toBeLessThan(48 * MiB);
    client.destroy();
    expect(server.child.exitCode).toBeNull();
  }, 40_000);

  it("1.5M pings from a client that never reads: memory stays bounded", async () => {
    const before = await retained(server);
    const client = await RawClient.handshake(server.port, "/echo");
    client.socket.pause();
    await flood(client, { maxBytes: 1_500_000 * 6, ms: 20_000, stallMs: 3000 }, pings);
    expect((await retained(server)) - before).toBeLessThan(128 * MiB);
    client.destroy();
    expect(server.child.exitCode).toBeNull();
  }, 40_000);
});

describe("Rookery's codec with no payload limit (Node)", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer("node", "test/hostile/server.ts", { args: ["--unlimited"] });
  }, 30_000);
  afterAll(() => server?.stop());

  it("140M empty fragments end the connection (1008 at the fragment bound), not the process", async () => {
    const client = await RawClient.handshake(server.port, "/unlimited");
    const result = await flood(client, { maxBytes: 140_000_000 * 6, ms: 20_000, stallMs: 5000 }, emptyFragments);
    await client.until(() => client.close !== undefined, 5000);
    expect(client.close?.code).toBe(1008);
    expect(result.frames).toBeLessThan(140_000_000);
    client.destroy();
    expect((await fetch(`http://127.0.0.1:${server.port}/stats`)).ok).toBe(true);
  }, 40_000);

  it("a 576 MiB fragmented text (past V8's longest string) ends the connection with 1009, not the process", async () => {
    const client = await RawClient.handshake(server.port, "/unlimited");
    const fragment = Buffer.alloc(32 * MiB, 0x61);
    const header = (b0: number) => Buffer.from([b0, 0x80 | 127, 0, 0, 0, 0, 0x02, 0, 0, 0, 0, 0, 0, 0]);
    for (let i = 0; i < 18 && client.close === undefined; i++) {
      const b0 = (i === 17 ? 0x80 : 0) | (i === 0 ? 0x01 : 0x00);
      if (!client.socket.write(Buffer.concat([header(b0), fragment]))) await new Promise((r) => client.socket.once("drain", r));
    }
    await client.until(() => client.close !== undefined, 20_000);
    expect(client.close).toEqual({ code: 1009, reason: "Text message too long for a string" });
    client.destroy();
    expect((await fetch(`http://127.0.0.1:${server.port}/stats`)).ok).toBe(true);
  }, 60_000);
});
