/**
 * Redis going away and coming back, with WebSocket clients connected throughout: the broker
 * reports the outage, keeps publishes local, never closes a client, and resumes by itself.
 */
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Rookery } from "../../mod.ts";
import { redisBroker } from "../../adapters/redis.ts";
import { type PrivateRedis, startRedis } from "../../scripts/redis_server.ts";
import { client, foreignText, instance, listenerCount, stopInstance, until } from "../support/redis_app.ts";

/** The bound this suite promises for delivery to resume once Redis is back (README "Scaling out"). */
const RESUME_MS = 5000;

let redis: PrivateRedis;
beforeAll(async () => void (redis = await startRedis()));
afterAll(async () => await redis.stop());

describe("redisBroker through a Redis outage", () => {
  it("keeps clients connected, stays local while down, resumes after a restart", async () => {
    const one = await instance(redis.url, "out:");
    const two = await instance(redis.url, "out:");
    try {
      const [a, b] = [await client(one.server.port), await client(one.server.port)];
      const c = await client(two.server.port);
      a.ws.send("before");
      await until(() => c.got.length === 1);

      await redis.stop("SIGKILL");
      await until(() => one.broker.status === "down" && two.broker.status === "down");
      expect([one.broker.status, two.broker.status]).toEqual(["down", "down"]);
      for (const m of ["x", "y", "z"]) a.ws.send(m);
      // A subscription made during the outage is sent when Redis is back.
      c.ws.send("join:side");
      await until(() => b.got.length === 4);
      expect(b.got).toEqual(["before", "x", "y", "z"]);
      expect(one.broker.stats.notCarried).toBe(3);
      expect(one.errors).toEqual([
        expect.stringContaining("connection lost"),
        expect.stringContaining('a publish to "lobby" did not reach other instances'),
      ]);

      await redis.restart();
      const restarted = Date.now();
      let probes = 0;
      while (!c.got.some((m) => typeof m === "string" && m.startsWith("probe")) && Date.now() - restarted < RESUME_MS * 2) {
        a.ws.send(`probe${probes++}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const resumedAfter = Date.now() - restarted;
      console.log(`delivery resumed ${resumedAfter} ms after redis-server restarted`);
      expect(resumedAfter).toBeLessThan(RESUME_MS);
      expect(c.got).toEqual(["before", ...c.got.slice(1).filter((m) => typeof m === "string" && m.startsWith("probe"))]);

      await until(() => one.broker.status === "ready" && two.broker.status === "ready");
      // The subscription asked for during the outage goes out once Redis is back: wait for it.
      const probe = createClient({ url: redis.url });
      probe.on("error", () => {});
      await probe.connect();
      await until(async () => (await listenerCount(probe, "out:side")) === 1);
      probe.destroy();
      a.ws.send("to:side:after the outage");
      await until(() => c.got.includes("after the outage"));
      expect(c.got).toContain("after the outage");
      expect([a.closed, b.closed, c.closed]).toEqual([false, false, false]);
    } finally {
      await stopInstance(one);
      await stopInstance(two);
    }
  });

  it("an app may start before Redis: ready() waits for it, publishes stay local until then", async () => {
    await redis.stop();
    const errors: string[] = [];
    const statuses: string[] = [];
    const broker = redisBroker({ url: redis.url, onerror: (e) => errors.push(e.message), onstatus: (s) => statuses.push(s) });
    try {
      const app = new Rookery({ broker });
      app.publish("lobby", "early");
      await until(() => broker.status === "down");
      expect(broker.status).toBe("down");
      expect(broker.stats.notCarried).toBe(1);
      await redis.restart();
      await Promise.race([broker.ready(), new Promise((_, reject) => setTimeout(() => reject(new Error("not ready")), RESUME_MS))]);
      expect(statuses).toEqual(["down", "ready"]);
      expect(errors).toEqual([expect.stringContaining("did not reach"), expect.stringContaining("not reachable")]);
    } finally {
      await broker.close();
    }
  });

  it("close() before Redis was ever reachable rejects ready() and leaves nothing running", async () => {
    // Port 1: nothing listens there, every attempt is refused.
    const broker = redisBroker({ url: "redis://127.0.0.1:1", onerror: () => {} });
    const ready = broker.ready();
    await until(() => broker.status === "down");
    await broker.close();
    await expect(ready).rejects.toThrow(/closed before Redis was reachable/);
    expect(broker.status).toBe("closed");
  });

  it("a SUBSCRIBE in flight when Redis dies is sent again once it is back; close() during an outage returns", async () => {
    const got: unknown[] = [];
    const broker = redisBroker({ url: redis.url, prefix: "flight:", onerror: () => {} });
    broker.start({ deliver: (_topic, message) => void got.push(message), log: () => {} });
    const probe = createClient({ url: redis.url });
    probe.on("error", () => {});
    try {
      await broker.ready();
      redis.pause(); // Redis takes the command but never answers it...
      broker.subscribe("room");
      await new Promise((r) => setTimeout(r, 100));
      await redis.stop("SIGKILL"); // ...and dies with it in flight.
      await until(() => broker.status === "down");
      await redis.restart();
      await Promise.race([broker.ready(), new Promise((_, reject) => setTimeout(() => reject(new Error("not ready")), RESUME_MS))]);
      await probe.connect();
      await until(async () => (await listenerCount(probe, "flight:room")) === 1, RESUME_MS);
      expect(await listenerCount(probe, "flight:room")).toBe(1);
      await probe.publish("flight:room", foreignText("made it"));
      await until(() => got.length > 0);
      expect(got).toEqual(["made it"]);

      // Now an outage with a subscribe asked for meanwhile: close() must not wait for Redis.
      await redis.stop("SIGKILL");
      await until(() => broker.status === "down");
      broker.subscribe("other");
      const started = Date.now();
      await broker.close();
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      probe.destroy();
      await broker.close();
      if (broker.status === "closed") await redis.restart().catch(() => {});
    }
  });

  it("a Redis that stops answering without closing: publishes past maxPendingBytes stay local, close() still returns", async () => {
    const errors: string[] = [];
    const broker = redisBroker({ url: redis.url, prefix: "frozen:", maxPendingBytes: 100_000, onerror: (e) => errors.push(e.message) });
    const app = new Rookery({ broker });
    try {
      await broker.ready();
      redis.pause();
      const big = "x".repeat(10_000);
      for (let i = 0; i < 50; i++) app.publish("room", big);
      // 9 envelopes of 10,010 bytes fit in 100,000; the rest are not carried.
      expect(broker.stats).toMatchObject({ published: 9, notCarried: 41 });
      expect(errors).toEqual([expect.stringContaining("maxPendingBytes")]);
      expect(broker.status).toBe("ready"); // nothing told the client otherwise
      const started = Date.now();
      const closing = broker.close();
      expect(broker.close()).toBe(closing);
      await closing;
      expect(Date.now() - started).toBeLessThan(2500);
      expect(errors).toHaveLength(1); // publishes cut off by close() are counted, not reported
    } finally {
      await broker.close();
      await redis.stop("SIGKILL");
      await redis.restart();
    }
  });

  it("close() while the connection is still being made leaves no connection to Redis behind", async () => {
    const probe = createClient({ url: redis.url });
    probe.on("error", () => {});
    await probe.connect();
    try {
      const clients = async () => (await probe.sendCommand(["CLIENT", "LIST"]) as string).trim().split("\n").length;
      const before = await clients();
      const broker = redisBroker({ url: redis.url });
      await broker.close();
      await new Promise((r) => setTimeout(r, 300));
      expect(await clients()).toBe(before);
    } finally {
      probe.destroy();
    }
  });
});
