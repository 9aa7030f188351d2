/**
 * Junk on the Redis channel from a hostile or buggy publisher, against a private redis-server:
 * every malformed message is counted, but `onerror` hears of them at a bounded rate, and real
 * messages behind the junk are still delivered.
 */
import { describe, expect, it } from "vitest";
import { redisBroker } from "../../adapters/redis.ts";
import type { PrivateRedis } from "../../scripts/redis_server.ts";
import { client, foreignText, instance, listenerCount, type Probe, stopInstance, until, usePrivateRedis } from "../support/redis_app.ts";

const FLOOD = 20_000;

let redis: PrivateRedis;
let probe: Probe;
let prefixCounter = 0;

usePrivateRedis((r, p) => {
  redis = r;
  probe = p;
});

/** Every way the envelope can be wrong, in turn: not ours, too short, bad version, kind, UTF-8. */
const junk = [
  Buffer.from("plain text from some other service"),
  Buffer.from([1, 0x74]),
  Buffer.concat([Buffer.from([2, 0x74]), Buffer.alloc(8), Buffer.from("x")]),
  Buffer.concat([Buffer.from([1, 0x78]), Buffer.alloc(8), Buffer.from("x")]),
  Buffer.concat([Buffer.from([1, 0x74]), Buffer.alloc(8), Buffer.from([0xff, 0xfe])]),
];

/** Publishes `count` junk payloads on `channel`, pipelined by node-redis. */
async function flood(channel: string, count: number): Promise<void> {
  await Promise.all(Array.from({ length: count }, (_, i) => probe.publish(channel, junk[i % junk.length]!)));
}

/** How many unreported malformed messages a report says were dropped before it. */
function heldBack(report: string): number {
  return Number(/, and (\d+) more malformed messages since the previous report/.exec(report)?.[1] ?? 0);
}

describe("redisBroker under a flood of malformed channel messages", () => {
  it(`counts all ${FLOOD}, reports the first at once and then at most one per interval, and still delivers`, async () => {
    const prefix = `f${++prefixCounter}:`;
    const one = await instance(redis.url, prefix); // the default interval, 10 s
    try {
      const a = await client(one.server.port);
      await until(async () => (await listenerCount(probe, `${prefix}lobby`)) === 1);
      const started = performance.now();
      await probe.publish(`${prefix}lobby`, junk[0]!);
      await until(() => one.broker.stats.malformed === 1);
      // Reported from the same callback that counted it: no wait for an interval to end.
      expect(one.errors).toEqual([expect.stringContaining("dropped a message on channel")]);

      await flood(`${prefix}lobby`, FLOOD - 1);
      for (let i = 0; i < 3; i++) await probe.publish(`${prefix}lobby`, foreignText(`after${i}`));
      // One Redis connection delivers in order: once these are in, all the junk was handled.
      await until(() => a.got.length === 3, 15_000);
      const elapsed = performance.now() - started;
      console.log(`${FLOOD} malformed messages in ${Math.round(elapsed)} ms: stats.malformed ${one.broker.stats.malformed}, ${one.errors.length} onerror call(s)`);

      expect(a.got).toEqual(["after0", "after1", "after2"]);
      expect(a.closed).toBe(false);
      expect(one.broker.stats).toMatchObject({ malformed: FLOOD, received: 3 });
      expect(one.errors.length).toBeLessThanOrEqual(Math.min(3, 1 + Math.floor(elapsed / 10_000)));
      expect(one.errors[0]).toMatch(/reported at most once every 10000 ms/);
    } finally {
      await stopInstance(one);
    }
  });

  it("once the interval has passed, the next malformed message is reported with the count dropped unreported before it", async () => {
    const prefix = `f${++prefixCounter}:`;
    const interval = 1000;
    const reports: { at: number; message: string }[] = [];
    const got: unknown[] = [];
    const broker = redisBroker({
      url: redis.url,
      prefix,
      malformedReportInterval: interval,
      onerror: (error) => void reports.push({ at: performance.now(), message: error.message }),
    });
    broker.start({ deliver: (_topic, message) => void got.push(message), log: () => {} });
    try {
      await broker.ready();
      broker.subscribe("t");
      await until(async () => (await listenerCount(probe, `${prefix}t`)) === 1);
      const started = performance.now();
      await flood(`${prefix}t`, FLOOD);
      await probe.publish(`${prefix}t`, foreignText("after the flood"));
      await until(() => got.length === 1, 15_000);
      const elapsed = performance.now() - started;
      expect(broker.stats.malformed).toBe(FLOOD);
      expect(reports.length).toBeGreaterThanOrEqual(1);
      expect(reports.length).toBeLessThanOrEqual(1 + Math.floor(elapsed / interval));
      const firstBurstReports = reports.length;

      // A second, small burst once the interval since the last report has passed.
      await new Promise((r) => setTimeout(r, Math.max(0, reports.at(-1)!.at + interval + 100 - performance.now())));
      await flood(`${prefix}t`, 100);
      await probe.publish(`${prefix}t`, foreignText("after the second burst"));
      await until(() => got.length === 2);
      expect(got).toEqual(["after the flood", "after the second burst"]);
      expect(broker.stats.malformed).toBe(FLOOD + 100);
      // The burst takes far less than the interval: one report, at its first message.
      expect(reports.length).toBe(firstBurstReports + 1);
      const last = reports.at(-1)!.message;
      console.log(`after the interval: ${last}`);
      // Every malformed message is either reported or counted in the next report, exactly once;
      // the second burst's other 99 wait for a report that has not come.
      const accounted = reports.reduce((sum, r) => sum + 1 + heldBack(r.message), 0);
      expect(accounted).toBe(FLOOD + 1);
      expect(heldBack(last)).toBeGreaterThan(0);
      if (firstBurstReports === 1) expect(heldBack(last)).toBe(FLOOD - 1);
      expect(broker.status).toBe("ready");
    } finally {
      await broker.close();
    }
  });

  it("0 reports every malformed message; a negative or NaN interval is refused", async () => {
    expect(() => redisBroker({ url: redis.url, malformedReportInterval: -1 })).toThrow(RangeError);
    expect(() => redisBroker({ url: redis.url, malformedReportInterval: Number.NaN })).toThrow(RangeError);
    const prefix = `f${++prefixCounter}:`;
    const reports: string[] = [];
    const broker = redisBroker({ url: redis.url, prefix, malformedReportInterval: 0, onerror: (e) => void reports.push(e.message) });
    broker.start({ deliver: () => {}, log: () => {} });
    try {
      await broker.ready();
      broker.subscribe("t");
      await until(async () => (await listenerCount(probe, `${prefix}t`)) === 1);
      await flood(`${prefix}t`, 5);
      await until(() => broker.stats.malformed === 5);
      expect(reports).toHaveLength(5);
      expect(reports.map(heldBack)).toEqual([0, 0, 0, 0, 0]);
    } finally {
      await broker.close();
    }
  });
});
