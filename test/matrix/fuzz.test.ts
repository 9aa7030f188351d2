/**
 * Protocol fuzz over TCP on every runtime: seeded fast-check sequences of frames, valid ones
 * mixed with random bytes and mutated frames, sent by a raw client. The server must never
 * crash, every connection must end in one close (with a code), and a fresh client must still
 * get its echo afterwards. A second property sends long runs of tiny fragments, ping bursts and
 * close frames in random order, and the server's memory must stay bounded.
 */
import fc from "fast-check";
import { WebSocket } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, type Runtime, startServer } from "../../scripts/spawn_server.ts";
import { clientFrame, RawClient } from "../support/raw_client.ts";

const RUNS = 30;
const ENDINGS = ["close:1000", "close:1002", "close:1005", "close:1006", "close:1007", "close:1008", "close:1009", "close:1011"];
const MiB = 1024 * 1024;

/** Frames with a zero mask key, built directly (runs of thousands of frames). */
const bare = (b0: number, payload: number[] = []) => [b0, 0x80 | payload.length, 0, 0, 0, 0, ...payload];

/** A burst a hostile peer might send: a long run of tiny fragments, many pings, or a close. */
const burstArb = fc.oneof(
  fc
    .record({ count: fc.integer({ min: 1, max: 40_000 }), size: fc.integer({ min: 0, max: 3 }), text: fc.boolean(), fin: fc.boolean() })
    .map(({ count, size, text, fin }) => {
      const payload = Array.from({ length: size }, () => 0x61);
      const run = [bare(text ? 0x01 : 0x02, payload), ...Array.from({ length: count - 1 }, () => bare(0x00, payload))];
      if (fin) run.push(bare(0x80, payload));
      return Buffer.from(run.flat());
    }),
  fc.integer({ min: 1, max: 50_000 }).map((count) => Buffer.from(Array.from({ length: count }, () => bare(0x89)).flat())),
  fc.constantFrom(Buffer.from(bare(0x88, [0x03, 0xe8])), Buffer.from(bare(0x88)), Buffer.from(bare(0x81, [0x68, 0x69]))),
);

/** One frame: valid, or mutated in a way a broken or hostile peer might send. */
const frameArb = fc.oneof(
  fc.record({ kind: fc.constant("text"), data: fc.string({ maxLength: 40 }) }).map((f) => clientFrame(1, f.data)),
  fc.uint8Array({ maxLength: 200 }).map((b) => clientFrame(2, b)),
  fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b) => Buffer.from(b)), // raw garbage
  fc
    .record({ op: fc.integer({ min: 0, max: 15 }), rsv: fc.integer({ min: 0, max: 7 }), fin: fc.boolean(), mask: fc.boolean(), data: fc.uint8Array({ maxLength: 130 }) })
    .map((f) => clientFrame(f.op, f.data, { rsv: f.rsv, fin: f.fin, mask: f.mask })),
  fc
    .record({ data: fc.uint8Array({ minLength: 4, maxLength: 60 }), flip: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) })
    .map((f) => {
      const b = clientFrame(2, f.data);
      b[f.flip % b.length] = b[f.flip % b.length]! ^ (1 << f.bit);
      return b;
    }),
);

describe.each<Runtime>(["node", "deno", "bun"])("protocol fuzz on %s", (runtime) => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer(runtime, "test/matrix/fixture_server.ts", { exposeGc: true });
  }, 30_000);
  afterAll(() => server?.stop());

  it(`${RUNS} seeded random streams: no crash, one close each, echo still works`, async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(frameArb, { minLength: 1, maxLength: 6 }), async (frames) => {
        const tag = `fuzz-${runtime}-${++n}`;
        const c = await RawClient.handshake(server.port, `/route-limit?t=${tag}`);
        expect(c.status).toBe(101);
        for (const f of frames) c.write(f);
        await c.until(() => c.ended, 300).catch(() => {});
        c.destroy();
        // The server's transcript for this connection must end with exactly one close.
        let events: string[] = [];
        for (let i = 0; i < 100; i++) {
          events = (await (await fetch(`http://127.0.0.1:${server.port}/events?t=${tag}`)).json()) as string[];
          if (events.some((e) => e.startsWith("close:"))) break;
          await new Promise((r) => setTimeout(r, 20));
        }
        const closes = events.filter((e) => e.startsWith("close:"));
        expect(closes, JSON.stringify(events)).toHaveLength(1);
        expect(ENDINGS).toContain(closes[0]!.split(":").slice(0, 2).join(":"));
        expect(events.at(-1)).toBe(closes[0]);
      }),
      { seed: 8455, numRuns: RUNS },
    );
    expect(server.child.exitCode).toBeNull();
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/echo`);
    const echoed = new Promise((resolve) => ws.addEventListener("message", (e) => resolve(e.data)));
    await new Promise((resolve) => ws.addEventListener("open", resolve));
    ws.send("still alive");
    expect(await echoed).toBe("still alive");
    ws.close();
  }, 120_000);

  it("seeded runs of tiny fragments, ping bursts and closes: one close each, memory bounded", async () => {
    const retained = async () => ((await (await fetch(`http://127.0.0.1:${server.port}/stats`)).json()) as { retained: number }).retained;
    const before = await retained();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(burstArb, { minLength: 1, maxLength: 4 }), async (bursts) => {
        const tag = `burst-${runtime}-${++n}`;
        const c = await RawClient.handshake(server.port, `/echo?t=${tag}`);
        for (const b of bursts) c.write(b);
        await c.until(() => c.ended, 500).catch(() => {});
        c.destroy();
        let events: string[] = [];
        for (let i = 0; i < 100 && !events.some((e) => e.startsWith("close:")); i++) {
          await new Promise((r) => setTimeout(r, 20));
          events = (await (await fetch(`http://127.0.0.1:${server.port}/events?t=${tag}`)).json()) as string[];
        }
        const closes = events.filter((e) => e.startsWith("close:"));
        expect(closes, JSON.stringify(events)).toHaveLength(1);
        expect(ENDINGS).toContain(closes[0]!.split(":").slice(0, 2).join(":"));
      }),
      { seed: 2026, numRuns: 15 },
    );
    expect((await retained()) - before).toBeLessThan(48 * MiB);
    expect(server.child.exitCode).toBeNull();
  }, 120_000);
});
