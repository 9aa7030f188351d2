/**
 * Soak on every runtime: 500 concurrent clients send numbered messages and leave at random,
 * half with a clean close and half by dropping the TCP connection. Every opened connection is
 * closed exactly once (onopen count == onclose count), clean connections get every echo once and
 * in order, and the collected heap does not grow with the connections that came and went.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, type Runtime, startServer } from "../../scripts/spawn_server.ts";
import { clientFrame, closeBody, RawClient } from "../support/raw_client.ts";

const CLIENTS = 500;
/** Heap growth allowed once all 500 clients are gone, after a full GC (measured: 0.3-2.3 MB, mostly JIT and caches). */
const HEAP_BOUND = 5 * 1024 * 1024;

interface Stats {
  opened: number;
  closed: number;
  messages: number;
  heapUsed: number;
  topics: number;
}

// A seeded generator, so a failure can be replayed.
function rng(seed: number) {
  return () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
}

describe.each<Runtime>(["node", "deno", "bun"])("soak on %s", (runtime) => {
  let server: RunningServer;
  const stats = async (): Promise<Stats> => (await (await fetch(`http://127.0.0.1:${server.port}/stats`)).json()) as Stats;

  beforeAll(async () => {
    server = await startServer(runtime, "test/matrix/fixture_server.ts", { exposeGc: true });
  }, 30_000);
  afterAll(() => server?.stop());

  it(`${CLIENTS} clients, clean closes and drops: nothing lost, nothing leaked`, async () => {
    // Warm up once, so the baseline heap already holds what a first connection loads.
    const warm = await RawClient.handshake(server.port, "/soak");
    warm.write(clientFrame(1, "warm"));
    await warm.until(() => warm.frames.length > 0);
    warm.write(clientFrame(8, closeBody(1000)));
    await warm.closed();
    const before = await stats();

    const random = rng(4242);
    const plans = Array.from({ length: CLIENTS }, () => ({ count: 1 + Math.floor(random() * 8), clean: random() < 0.5, delay: Math.floor(random() * 200) }));
    const outcomes = await Promise.all(
      plans.map(async (plan, i) => {
        await new Promise((r) => setTimeout(r, plan.delay));
        const c = await RawClient.handshake(server.port, "/soak");
        for (let m = 0; m < plan.count; m++) c.write(clientFrame(1, `${i}:${m}`));
        if (!plan.clean) {
          c.destroy();
          return undefined;
        }
        await c.until(() => c.frames.length >= plan.count, 10_000);
        c.write(clientFrame(8, closeBody(1000, "done")));
        const close = await c.closed();
        return { echoes: c.frames.filter((f) => f.opcode === 1).map((f) => f.payload.toString()), close, expected: plan.count, i };
      }),
    );

    for (const o of outcomes) {
      if (!o) continue;
      expect(o.echoes).toEqual(Array.from({ length: o.expected }, (_, m) => `${o.i}:${m}`));
      expect(o.close?.code).toBe(1000);
    }

    let after = await stats();
    for (let i = 0; i < 100 && after.closed - before.closed < CLIENTS; i++) {
      await new Promise((r) => setTimeout(r, 50));
      after = await stats();
    }
    expect(after.opened - before.opened).toBe(CLIENTS);
    expect(after.closed - before.closed).toBe(CLIENTS);
    expect(after.heapUsed - before.heapUsed).toBeLessThan(HEAP_BOUND);
    expect(server.child.exitCode).toBeNull();
  }, 90_000);
});
