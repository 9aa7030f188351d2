/**
 * The Node adapter's output (adapters/node/frame_output.ts) on real TCP sockets: whatever mix
 * of frames one tick sends, to one socket or interleaved over several (a publish), each peer
 * reads its frames whole and in order; small frames of one tick leave in one write; pending
 * bytes count until they are handed over; `written` runs once the frame has left.
 */
import fc from "fast-check";
import { once } from "node:events";
import { createServer, type Server, type Socket, connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { FrameOutput } from "../../adapters/node/frame_output.ts";
import { FrameParser } from "../../src/protocol/frame_parser.ts";

interface Pair {
  server: Socket;
  client: Socket;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/** `n` connected socket pairs on 127.0.0.1. */
async function pairs(n: number): Promise<Pair[]> {
  const accepted: Socket[] = [];
  const server = createServer((s) => accepted.push(s));
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as { port: number }).port;
  const clients: Socket[] = [];
  for (let i = 0; i < n; i++) {
    const client = connect(port, "127.0.0.1");
    await once(client, "connect");
    clients.push(client);
  }
  await expect.poll(() => accepted.length).toBe(n);
  return clients.map((client, i) => ({ client, server: accepted[i]! }));
}

/** Everything the client reads until the server ends, parsed as server frames. */
function readAll(client: Socket): Promise<string[]> {
  const out: string[] = [];
  const parser = new FrameParser(
    {
      message: (m, bin) => out.push(bin ? `binary:${(m as Uint8Array).byteLength}:${checksum(m as Uint8Array)}` : `text:${m as string}`),
      ping: (p) => out.push(`ping:${p.byteLength}`),
      pong: (p) => out.push(`pong:${p.byteLength}`),
      closeReceived: (code, reason) => out.push(`close:${code}:${reason}`),
      error: (e) => out.push(`error:${e.code}:${e.message}`),
    },
    { maxPayload: Infinity, allowUnmasked: true, maxFragments: Infinity },
  );
  client.on("data", (chunk: Buffer) => parser.push(new Uint8Array(chunk)));
  return once(client, "end").then(() => out);
}

/** The byte length of each `write` call on `socket` from now on. */
function countWrites(socket: Socket): number[] {
  const writes: number[] = [];
  const write = socket.write.bind(socket);
  socket.write = ((chunk: Uint8Array, ...rest: never[]) => {
    writes.push(chunk.byteLength);
    return write(chunk, ...rest);
  }) as Socket["write"];
  return writes;
}

const checksum = (b: Uint8Array) => b.reduce((s, x, i) => (s + x * (i + 1)) % 65521, 0);

type Sent = { kind: "text"; text: string } | { kind: "binary"; bytes: Uint8Array };

const expected = (s: Sent) => (s.kind === "text" ? `text:${s.text}` : `binary:${s.bytes.byteLength}:${checksum(s.bytes)}`);

function send(output: FrameOutput, s: Sent): boolean {
  return s.kind === "text" ? output.frame(0x81, s.text) : output.frame(0x82, s.bytes);
}

const sentArb: fc.Arbitrary<Sent> = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 60 }).map((text) => ({ kind: "text" as const, text })),
  // Texts on both sides of 126 bytes and of the in-place encoding bound (64 KiB of room).
  fc.tuple(fc.constantFrom("a", "é", "😀", "日"), fc.integer({ min: 30, max: 30_000 })).map(([c, n]) => ({ kind: "text" as const, text: c.repeat(n) })),
  fc.integer({ min: 0, max: 70_000 }).map((n) => ({ kind: "binary" as const, bytes: Uint8Array.from({ length: n }, (_, i) => (i * 13 + n) & 0xff) })),
);

describe("FrameOutput", () => {
  it("any mix of frames sent in one tick, interleaved over three sockets, arrives whole and in order on each", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), sentArb), { maxLength: 40 }), async (sends) => {
        const ps = await pairs(3);
        const outputs = ps.map((p) => new FrameOutput(p.server));
        const reads = ps.map((p) => readAll(p.client));
        for (const [to, s] of sends) expect(send(outputs[to]!, s)).toBe(true);
        // Ending a socket takes flushing it first (as the adapter's end does).
        outputs.forEach((o) => o.flush());
        for (const p of ps) p.server.end();
        const got = await Promise.all(reads);
        for (let k = 0; k < 3; k++) expect(got[k]).toEqual(sends.filter(([to]) => to === k).map(([, s]) => expected(s)));
        for (const p of ps) p.client.destroy();
      }),
      { numRuns: 25 },
    );
  });

  it("small frames of one tick leave in one write, and count as pending until then", async () => {
    const [p] = await pairs(1);
    const output = new FrameOutput(p!.server);
    const writes = countWrites(p!.server);
    const reads = readAll(p!.client);
    for (let i = 0; i < 100; i++) output.frame(0x81, `message ${i}`);
    output.frame(0x82, new Uint8Array(500));
    const total = 100 * 2 + [...Array(100).keys()].reduce((s, i) => s + `message ${i}`.length, 0) + 4 + 500;
    expect(output.pending).toBe(total);
    expect(writes).toEqual([]);
    await new Promise((r) => process.nextTick(r));
    expect(writes).toEqual([total]);
    expect(output.pending).toBe(0);
    p!.server.end();
    const got = await reads;
    expect(got).toHaveLength(101);
    expect(got[99]).toBe("text:message 99");
    p!.client.destroy();
  });

  it("frames sent while a read is parsed leave in one write when it ends, not a tick later", async () => {
    const [p] = await pairs(1);
    const output = new FrameOutput(p!.server);
    const writes = countWrites(p!.server);
    const reads = readAll(p!.client);
    output.beginRead();
    output.frame(0x81, "one");
    // A read is parsed synchronously; were a tick to pass inside one, its frames would still wait.
    await new Promise((r) => process.nextTick(r));
    output.frame(0x82, new Uint8Array(20_000));
    output.frame(0x81, "two");
    expect(writes).toEqual([]);
    const pending = output.pending;
    output.endRead();
    // Everything handed over within the call: the pieces (slab region, payload, slab region) corked into one writev.
    expect(writes.reduce((n, w) => n + w, 0)).toBe(pending);
    expect(output.pending).toBe(0);
    p!.server.end();
    expect(await reads).toEqual(["text:one", `binary:20000:${checksum(new Uint8Array(20_000))}`, "text:two"]);
    p!.client.destroy();
  });

  it("frames written across several shared slabs (megabytes in one tick) keep their bytes and order", async () => {
    const [a, b] = await pairs(2);
    const oa = new FrameOutput(a!.server);
    const ob = new FrameOutput(b!.server);
    const reads = [readAll(a!.client), readAll(b!.client)];
    const texts = Array.from({ length: 200 }, (_, i) => `${i}:`.padEnd(10_000 + i, String.fromCharCode(97 + (i % 26))));
    texts.forEach((t, i) => (i % 2 ? ob : oa).frame(0x81, t));
    oa.flush();
    ob.flush();
    a!.server.end();
    b!.server.end();
    const [ga, gb] = await Promise.all(reads);
    expect(ga).toEqual(texts.filter((_, i) => i % 2 === 0).map((t) => `text:${t}`));
    expect(gb).toEqual(texts.filter((_, i) => i % 2 === 1).map((t) => `text:${t}`));
    a!.client.destroy();
    b!.client.destroy();
  });

  it("`written` runs once the frame has left, not before", async () => {
    const [p] = await pairs(1);
    const output = new FrameOutput(p!.server);
    let written = 0;
    output.frame(0x8a, new Uint8Array(3), () => written++);
    expect(written).toBe(0);
    await expect.poll(() => written).toBe(1);
    p!.client.destroy();
  });

  it("a socket that no longer writes takes nothing, and what was pending is dropped", async () => {
    const [p] = await pairs(1);
    const output = new FrameOutput(p!.server);
    output.frame(0x81, "pending");
    p!.server.destroy();
    expect(output.frame(0x81, "late")).toBe(false);
    output.flush();
    expect(output.pending).toBe(0);
    p!.client.destroy();
  });
});
