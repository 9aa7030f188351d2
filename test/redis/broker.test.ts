/**
 * The Redis broker on Node against a private redis-server: two app instances in this process,
 * each served by the Node adapter, clients on undici's WebSocket.
 */
import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import { Rookery } from "../../mod.ts";
import { redisBroker } from "../../adapters/redis.ts";
import type { PrivateRedis } from "../../scripts/redis_server.ts";
import { client, foreignText, instance, type Instance, listenerCount, type Probe, stopInstance, until, usePrivateRedis } from "../support/redis_app.ts";

let redis: PrivateRedis;
let probe: Probe;
let prefixCounter = 0;

const listeners = (channel: string) => listenerCount(probe, channel);

/** Runs `fn` with `count` instances on a prefix of their own, and stops them afterwards. */
async function withInstances<N extends 1 | 2>(
  count: N,
  fn: (instances: N extends 1 ? [Instance] : [Instance, Instance], prefix: string) => Promise<void>,
): Promise<void> {
  const prefix = `t${++prefixCounter}:`;
  const instances: Instance[] = [];
  try {
    for (let i = 0; i < count; i++) instances.push(await instance(redis.url, prefix));
    await fn(instances as N extends 1 ? [Instance] : [Instance, Instance], prefix);
  } finally {
    for (const i of instances) await stopInstance(i);
  }
}

usePrivateRedis((r, p) => {
  redis = r;
  probe = p;
});

describe("redisBroker on Node", () => {
  it("carries conn.publish and app.publish across instances: exactly once, never to the sender, binary byte-exact", async () => {
    await withInstances(2, async ([one, two], prefix) => {
      const [a, b] = [await client(one.server.port), await client(one.server.port)];
      const [c, d] = [await client(two.server.port), await client(two.server.port)];
      await until(async () => (await listeners(`${prefix}lobby`)) === 2);
      a.ws.send("from a");
      await until(() => [b, c, d].every((x) => x.got.length === 1));
      const bytes = new Uint8Array([0, 255, 128, 10, 13]);
      c.ws.send(bytes);
      await until(() => [a, b, d].every((x) => x.got.length >= 1) && d.got.length === 2);
      d.ws.send("all:everyone");
      await until(() => [a, b, c, d].every((x) => x.got.includes("everyone")));
      await new Promise((r) => setTimeout(r, 100)); // room for a duplicate to show up
      expect(a.got).toEqual([[...bytes], "everyone"]);
      expect(b.got).toEqual(["from a", [...bytes], "everyone"]);
      expect(c.got).toEqual(["from a", "everyone"]);
      expect(d.got).toEqual(["from a", [...bytes], "everyone"]);
      expect(one.broker.stats).toMatchObject({ received: 2, notCarried: 0, malformed: 0 });
      expect(one.errors).toEqual([]);
    });
  });

  it("listens to a topic's channel only while this instance has a subscriber of it", async () => {
    await withInstances(1, async ([one], prefix) => {
      expect(await listeners(`${prefix}lobby`)).toBe(0);
      const a = await client(one.server.port);
      const b = await client(one.server.port);
      await until(async () => (await listeners(`${prefix}lobby`)) === 1);
      expect(await listeners(`${prefix}lobby`)).toBe(1);
      a.ws.close();
      await until(() => a.closed);
      await new Promise((r) => setTimeout(r, 50));
      expect(await listeners(`${prefix}lobby`)).toBe(1);
      b.ws.close();
      await until(async () => (await listeners(`${prefix}lobby`)) === 0);
      expect(await listeners(`${prefix}lobby`)).toBe(0);
    });
  });

  it("drops its own echo: one instance alone delivers each message once", async () => {
    await withInstances(1, async ([one], prefix) => {
      const [a, b] = [await client(one.server.port), await client(one.server.port)];
      await until(async () => (await listeners(`${prefix}lobby`)) === 1);
      for (let i = 0; i < 20; i++) a.ws.send(`m${i}`);
      await until(() => b.got.length >= 20);
      await new Promise((r) => setTimeout(r, 150));
      expect(b.got).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
      expect(one.broker.stats).toMatchObject({ published: 20, received: 0 });
    });
  });

  it("drops and reports a channel message that is not in Rookery's format", async () => {
    await withInstances(1, async ([one], prefix) => {
      const a = await client(one.server.port);
      await until(async () => (await listeners(`${prefix}lobby`)) === 1);
      await probe.publish(`${prefix}lobby`, "plain text from some other service");
      // A well-formed message from a non-Rookery publisher (any id but the instance's own).
      await probe.publish(`${prefix}lobby`, foreignText("hi"));
      await until(() => a.got.length === 1);
      expect(a.got).toEqual(["hi"]);
      expect(one.broker.stats.malformed).toBe(1);
      expect(one.errors).toEqual([expect.stringContaining("unknown format version")]);
      expect(a.closed).toBe(false);
    });
  });

  it("hands on each binary message from Redis as a plain Uint8Array of its own, not a Buffer view of node-redis's read", async () => {
    const prefix = `t${++prefixCounter}:`;
    const got: (string | Uint8Array)[] = [];
    const broker = redisBroker({ url: redis.url, prefix });
    broker.start({ deliver: (_topic, message) => void got.push(message), log: () => {} });
    try {
      await broker.ready();
      broker.subscribe("t");
      await until(async () => (await listeners(`${prefix}t`)) === 1);
      // Pipelined, so that one socket read holds many of them.
      await Promise.all(
        Array.from({ length: 200 }, (_, i) => probe.publish(`${prefix}t`, Buffer.concat([Buffer.from([1, 0x62]), Buffer.alloc(8), Buffer.alloc(10, i)]))),
      );
      await until(() => got.length === 200);
      expect(got).toHaveLength(200);
      got.forEach((message, i) => {
        if (typeof message === "string") throw new Error("binary arrived as text");
        expect(Buffer.isBuffer(message)).toBe(false);
        expect(Object.getPrototypeOf(message)).toBe(Uint8Array.prototype);
        expect(message.byteLength).toBe(10);
        expect(message.buffer.byteLength).toBe(10);
        expect(message).toEqual(new Uint8Array(10).fill(i));
      });
    } finally {
      await broker.close();
    }
  });

  it("after close(), publishes stay local and are counted, never thrown", async () => {
    await withInstances(1, async ([one]) => {
      const [a, b] = [await client(one.server.port), await client(one.server.port)];
      await one.broker.close();
      expect(one.broker.status).toBe("closed");
      a.ws.send("still here");
      await until(() => b.got.length === 1);
      expect(b.got).toEqual(["still here"]);
      expect(one.broker.stats.notCarried).toBe(1);
      expect(one.errors).toEqual([expect.stringContaining("Redis is closed")]);
    });
  });

  it("a fast leave-join-leave of a topic leaves no subscription behind, and a later join gets each message once", async () => {
    const prefix = `t${++prefixCounter}:`;
    const got: unknown[] = [];
    const broker = redisBroker({ url: redis.url, prefix });
    broker.start({ deliver: (_topic, message) => void got.push(message), log: () => {} });
    try {
      await broker.ready();
      broker.subscribe("churn");
      await until(async () => (await listeners(`${prefix}churn`)) === 1);
      // The last member leaves, another joins and leaves, all within one round trip to Redis.
      broker.unsubscribe("churn");
      broker.subscribe("churn");
      broker.unsubscribe("churn");
      await until(async () => (await listeners(`${prefix}churn`)) === 0);
      await new Promise((r) => setTimeout(r, 100));
      expect(await listeners(`${prefix}churn`)).toBe(0);
      broker.subscribe("churn");
      await until(async () => (await listeners(`${prefix}churn`)) === 1);
      await probe.publish(`${prefix}churn`, foreignText("once"));
      await until(() => got.length > 0);
      await new Promise((r) => setTimeout(r, 100));
      expect(got).toEqual(["once"]);
    } finally {
      await broker.close();
    }
  });

  it("a throwing onerror or onstatus never reaches node-redis: the broker stays ready and delivers", async () => {
    const prefix = `t${++prefixCounter}:`;
    const got: unknown[] = [];
    const broker = redisBroker({
      url: redis.url,
      prefix,
      onerror: () => {
        throw new Error("buggy onerror");
      },
      onstatus: () => {
        throw new Error("buggy onstatus");
      },
    });
    broker.start({ deliver: (_topic, message) => void got.push(message), log: () => {} });
    try {
      await broker.ready();
      broker.subscribe("t");
      await until(async () => (await listeners(`${prefix}t`)) === 1);
      await probe.publish(`${prefix}t`, "not an envelope");
      await probe.publish(`${prefix}t`, foreignText("after"));
      await until(() => got.length > 0);
      expect(got).toEqual(["after"]);
      expect(broker.status).toBe("ready");
      expect(broker.stats.malformed).toBe(1);
    } finally {
      await broker.close();
    }
  });

  it("rejects a bad maxReconnectDelay, and a second app for one broker", async () => {
    expect(() => redisBroker({ url: redis.url, maxReconnectDelay: 0 })).toThrow(RangeError);
    const broker = redisBroker({ url: redis.url });
    try {
      new Rookery({ broker });
      expect(() => new Rookery({ broker })).toThrow(/one broker per app/);
    } finally {
      await broker.close();
    }
  });
});
