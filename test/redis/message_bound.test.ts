/**
 * `maxMessageBytes` against a private redis-server: a message over it from anyone who can
 * publish to the channel reaches no subscriber (each would take its own copy, past its
 * slow-reader bound), is counted and reported at a bounded rate; a local publish over it stays
 * on its instance instead of going to Redis to be dropped everywhere else.
 */
import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import { Rookery } from "../../mod.ts";
import { serve } from "../../adapters/node.ts";
import { type RedisBrokerOptions, redisBroker } from "../../adapters/redis.ts";
import type { PrivateRedis } from "../../scripts/redis_server.ts";
import { client, foreignText, instance, type Instance, listenerCount, type Probe, stopInstance, until, usePrivateRedis } from "../support/redis_app.ts";

const MiB = 1024 * 1024;

let redis: PrivateRedis;
let probe: Probe;
let prefixCounter = 0;

usePrivateRedis((r, p) => {
  redis = r;
  probe = p;
});

/** A binary message as another service would publish it (an id no instance has). */
function foreignBinary(payload: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([1, 0x62]), Buffer.alloc(8), payload]);
}

/** Like the shared `instance`, with broker options: /room joins "lobby" and publishes to it. */
async function boundedInstance(prefix: string, options: RedisBrokerOptions): Promise<Instance> {
  const errors: string[] = [];
  const broker = redisBroker({ url: redis.url, prefix, onerror: (e) => errors.push(e.message), ...options });
  const app = new Rookery({ broker });
  app
    .ws("/room")
    .onopen((conn) => conn.subscribe("lobby"))
    .onmessage((conn, message) => conn.publish("lobby", message));
  await broker.ready();
  return { app, broker, server: await serve(app, { hostname: "127.0.0.1", port: 0 }), errors };
}

describe("redisBroker maxMessageBytes", () => {
  it("by default drops a channel message over 1 MiB before any subscriber gets it, and delivers one of exactly 1 MiB", async () => {
    const prefix = `b${++prefixCounter}:`;
    const one = await instance(redis.url, prefix);
    try {
      const clients = await Promise.all(Array.from({ length: 5 }, () => client(one.server.port)));
      await until(async () => (await listenerCount(probe, `${prefix}lobby`)) === 1);
      await probe.publish(`${prefix}lobby`, foreignBinary(new Uint8Array(MiB + 1)));
      await probe.publish(`${prefix}lobby`, foreignText("x".repeat(MiB + 1)));
      await probe.publish(`${prefix}lobby`, foreignText("a".repeat(MiB)));
      await probe.publish(`${prefix}lobby`, foreignText("after"));
      // One Redis connection delivers in order: once "after" is in, the others were handled.
      await until(() => clients.every((c) => c.got.length >= 2), 10_000);
      for (const c of clients) {
        expect(c.got.map((m) => m.length)).toEqual([MiB, 5]);
        expect(c.closed).toBe(false);
      }
      expect(one.broker.stats).toMatchObject({ oversized: 2, received: 2, malformed: 0 });
      // The second one falls within the report interval: counted, not reported.
      expect(one.errors).toEqual([
        `dropped a message on channel "${prefix}lobby": its payload of ${MiB + 1} bytes is over maxMessageBytes (${MiB}) (all counted in stats.oversized; reported at most once every 10000 ms)`,
      ]);
      expect(one.broker.status).toBe("ready");
    } finally {
      await stopInstance(one);
    }
  });

  it("counts every one of a flood of oversized messages, reports it once, and keeps malformed reports apart", async () => {
    const prefix = `b${++prefixCounter}:`;
    const reports: string[] = [];
    const got: unknown[] = [];
    const broker = redisBroker({ url: redis.url, prefix, maxMessageBytes: 100, malformedReportInterval: 60_000, onerror: (e) => void reports.push(e.message) });
    broker.start({ deliver: (_topic, message) => void got.push(message), log: () => {} });
    try {
      await broker.ready();
      broker.subscribe("t");
      await until(async () => (await listenerCount(probe, `${prefix}t`)) === 1);
      const oversized = foreignBinary(new Uint8Array(101));
      await Promise.all(Array.from({ length: 500 }, () => probe.publish(`${prefix}t`, oversized)));
      await probe.publish(`${prefix}t`, "not an envelope");
      await probe.publish(`${prefix}t`, foreignBinary(new Uint8Array(100)));
      await until(() => got.length === 1);
      expect(broker.stats).toMatchObject({ oversized: 500, malformed: 1, received: 1 });
      expect(got).toEqual([new Uint8Array(100)]);
      expect(reports).toHaveLength(2);
      expect(reports[0]).toMatch(/its payload of 101 bytes is over maxMessageBytes \(100\) \(all counted in stats\.oversized; reported at most once every 60000 ms\)$/);
      expect(reports[1]).toMatch(/unknown format version/);
    } finally {
      await broker.close();
    }
  });

  it("keeps a local publish over the bound off Redis: local subscribers get it, it is counted in notCarried and reported once per interval", async () => {
    const prefix = `b${++prefixCounter}:`;
    const options = { maxMessageBytes: 1000, malformedReportInterval: 60_000 };
    const one = await boundedInstance(prefix, options);
    const two = await boundedInstance(prefix, options);
    // What reaches the channel, seen by a plain Redis client.
    const watcher = probe.duplicate();
    watcher.on("error", () => {});
    const onChannel: number[] = [];
    try {
      await watcher.connect();
      await watcher.subscribe(`${prefix}lobby`, (message: Buffer) => void onChannel.push(message.byteLength), true);
      const [a, b] = [await client(one.server.port), await client(one.server.port)];
      const c = await client(two.server.port);
      await until(async () => (await listenerCount(probe, `${prefix}lobby`)) === 3);
      // Text is measured in UTF-8 bytes: 501 characters, 1002 bytes.
      a.ws.send("é".repeat(501));
      a.ws.send("é".repeat(500));
      for (let i = 0; i < 50; i++) a.ws.send(new Uint8Array(1001));
      a.ws.send("end");
      await until(() => b.got.length === 53 && c.got.length === 2);
      expect(b.got.length).toBe(53);
      expect(c.got).toEqual(["é".repeat(500), "end"]);
      await until(() => onChannel.length === 2);
      await new Promise((r) => setTimeout(r, 100)); // room for anything else to reach the channel
      expect(onChannel).toEqual([10 + 1000, 10 + 3]);
      expect(one.broker.stats).toMatchObject({ published: 2, notCarried: 51 });
      expect(two.broker.stats).toMatchObject({ received: 2, oversized: 0 });
      expect(one.errors).toEqual([
        `a publish to "lobby" did not reach other instances: its 1002 bytes are over maxMessageBytes (1000) (all counted in stats.notCarried; reported at most once every 60000 ms)`,
      ]);
      expect(two.errors).toEqual([]);
    } finally {
      watcher.destroy();
      await stopInstance(one);
      await stopInstance(two);
    }
  });

  it("Infinity (with maxPendingBytes to match) takes a message of any size", async () => {
    const prefix = `b${++prefixCounter}:`;
    const got: unknown[] = [];
    const broker = redisBroker({ url: redis.url, prefix, maxMessageBytes: Infinity, maxPendingBytes: Infinity });
    broker.start({ deliver: (_topic, message) => void got.push(message), log: () => {} });
    try {
      await broker.ready();
      broker.subscribe("t");
      await until(async () => (await listenerCount(probe, `${prefix}t`)) === 1);
      await probe.publish(`${prefix}t`, foreignBinary(new Uint8Array(2 * MiB)));
      await until(() => got.length === 1);
      expect((got[0] as Uint8Array).byteLength).toBe(2 * MiB);
      expect(broker.stats.oversized).toBe(0);
    } finally {
      await broker.close();
    }
  });

  it("refuses a bound that is not a whole number of bytes or that no publish could fit under maxPendingBytes; the default gives way to a smaller maxPendingBytes", async () => {
    for (const bad of [-1, Number.NaN, 1.5, "1024" as unknown as number]) {
      expect(() => redisBroker({ url: redis.url, maxMessageBytes: bad }), String(bad)).toThrow(RangeError);
    }
    // The envelope adds 10 bytes; the default maxPendingBytes is 16 MiB.
    expect(() => redisBroker({ url: redis.url, maxMessageBytes: 100, maxPendingBytes: 109 })).toThrow(/raise maxPendingBytes/);
    expect(() => redisBroker({ url: redis.url, maxMessageBytes: 16 * MiB })).toThrow(RangeError);
    expect(() => redisBroker({ url: redis.url, maxMessageBytes: Infinity })).toThrow(RangeError);
    // A pending bound no envelope fits is named as such, not as a maxMessageBytes the user never set.
    for (const tiny of [0, 10]) expect(() => redisBroker({ url: redis.url, maxPendingBytes: tiny })).toThrow(/^maxPendingBytes must be over 10/);
    // The default gives way to a smaller maxPendingBytes rather than refusing it.
    const smallErrors: string[] = [];
    const small = redisBroker({ url: redis.url, prefix: `b${++prefixCounter}:`, maxPendingBytes: 1000, malformedReportInterval: 60_000, onerror: (e) => void smallErrors.push(e.message) });
    try {
      await small.ready();
      small.publish("t", new Uint8Array(990));
      small.publish("t", new Uint8Array(991));
      expect(small.stats).toMatchObject({ published: 1, notCarried: 1 });
      expect(smallErrors).toEqual([expect.stringContaining("its 991 bytes are over maxMessageBytes (990)")]);
    } finally {
      await small.close();
    }
    const fine = [
      redisBroker({ url: redis.url, maxMessageBytes: 100, maxPendingBytes: 110 }),
      redisBroker({ url: redis.url, maxMessageBytes: 0 }),
      redisBroker({ url: redis.url, maxMessageBytes: 32 * MiB, maxPendingBytes: 64 * MiB }),
    ];
    await Promise.all(fine.map((b) => b.close()));
  });
});
