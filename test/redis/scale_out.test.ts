/**
 * One room across three runtimes: the matrix fixture runs once each on node, deno and bun, all
 * with a Redis broker on one private redis-server, and clients on undici's WebSocket join the
 * fixture's `/topics/:room` route on every instance. Then Redis is killed and restarted under
 * them.
 */
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PrivateRedis, startRedis } from "../../scripts/redis_server.ts";
import { type RunningServer, type Runtime, startServer } from "../../scripts/spawn_server.ts";
import { client, type Client, listenerCount, until } from "../support/redis_app.ts";

const RUNTIMES: Runtime[] = ["node", "deno", "bun"];
const ROOM = "scale";
/** The bound this suite promises for delivery to resume once Redis is back (README "Scaling out"). */
const RESUME_MS = 5000;

interface Member extends Client {
  runtime: Runtime;
  name: string;
}

async function join(runtime: Runtime, port: number, name: string): Promise<Member> {
  return Object.assign(await client(port, `/topics/${ROOM}?t=${name}`), { runtime, name });
}

let redis: PrivateRedis;
let probe: ReturnType<typeof createClient>;
const servers = new Map<Runtime, RunningServer>();
const members: Member[] = [];

beforeAll(async () => {
  redis = await startRedis();
  probe = createClient({ url: redis.url });
  probe.on("error", () => {});
  await probe.connect();
  await Promise.all(
    RUNTIMES.map(async (runtime) => {
      servers.set(runtime, await startServer(runtime, "test/matrix/fixture_server.ts", { args: ["--redis", redis.url] }));
    }),
  );
  for (const runtime of RUNTIMES) {
    for (const n of [1, 2]) members.push(await join(runtime, servers.get(runtime)!.port, `${runtime}${n}`));
  }
  await until(async () => (await listenerCount(probe, `rookery:${ROOM}`)) === 3);
}, 60_000);

afterAll(async () => {
  for (const m of members) m.ws.close();
  await Promise.all([...servers.values()].map((s) => s.stop()));
  probe?.destroy();
  await redis?.stop();
});

/** Every member sends one text message; each must reach every other member exactly once. */
async function everyoneSpeaks(round: string): Promise<void> {
  for (const m of members) m.got.length = 0;
  for (const m of members) m.ws.send(`${round}:${m.name}`);
  const expected = (me: Member) => members.filter((o) => o !== me).map((o) => `${round}:${o.name}`).sort();
  await until(() => members.every((m) => m.got.length >= members.length - 1), 10_000);
  await new Promise((r) => setTimeout(r, 200)); // room for a duplicate or an echo to show up
  for (const m of members) expect([m.name, [...m.got].sort()]).toEqual([m.name, expected(m)]);
}

describe("one room on node, deno and bun through Redis", () => {
  it("listens to the room's channel once per instance", async () => {
    expect(await listenerCount(probe, `rookery:${ROOM}`)).toBe(3);
  });

  it("a message from any instance reaches every other member exactly once, never the sender", async () => {
    await everyoneSpeaks("hello");
  });

  it("binary stays binary and byte-exact across runtimes", async () => {
    for (const sender of members.filter((m) => m.name.endsWith("1"))) {
      for (const m of members) m.got.length = 0;
      const bytes = Array.from({ length: 700 }, (_, i) => (i * 131 + sender.name.length) % 256);
      sender.ws.send(new Uint8Array(bytes));
      await until(() => members.every((m) => m === sender || m.got.length === 1));
      for (const m of members) expect([m.name, m.got]).toEqual([m.name, m === sender ? [] : [bytes]]);
    }
  });

  it("app.publish on one instance reaches every member on all three", async () => {
    for (const m of members) m.got.length = 0;
    members[2]!.ws.send("all:from the deno app");
    await until(() => members.every((m) => m.got.length === 1));
    for (const m of members) expect([m.name, m.got]).toEqual([m.name, ["from the deno app"]]);
  });

  it("survives redis-server being killed and restarted: no client dropped, no instance down, delivery resumes", async () => {
    await redis.stop("SIGKILL");
    await until(() => [...servers.values()].every((s) => s.output().includes("BROKER down")), 10_000);
    for (const [runtime, s] of servers) expect([runtime, s.output()]).toEqual([runtime, expect.stringContaining("BROKER down")]);
    // While Redis is down each instance still serves its own members.
    for (const m of members) m.got.length = 0;
    members[0]!.ws.send("local only");
    await until(() => members[1]!.got.length === 1);
    expect(members.map((m) => m.got.length)).toEqual([0, 1, 0, 0, 0, 0]);

    await new Promise((r) => setTimeout(r, 1500)); // an outage longer than the reconnect backoff cap
    await redis.restart();
    const restarted = Date.now();
    const bunSender = members.find((m) => m.runtime === "bun")!;
    const nodeReceiver = members.find((m) => m.runtime === "node")!;
    let n = 0;
    while (!nodeReceiver.got.some((m) => typeof m === "string" && m.startsWith("probe")) && Date.now() - restarted < RESUME_MS * 2) {
      bunSender.ws.send(`probe${n++}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const resumedAfter = Date.now() - restarted;
    console.log(`bun → node delivery resumed ${resumedAfter} ms after redis-server restarted`);
    expect(resumedAfter).toBeLessThan(RESUME_MS);

    await until(() => [...servers.values()].every((s) => s.output().lastIndexOf("BROKER ready") > s.output().lastIndexOf("BROKER down")), RESUME_MS);
    await everyoneSpeaks("after");
    expect(members.filter((m) => m.closed).map((m) => m.name)).toEqual([]);
    for (const [runtime, s] of servers) expect([runtime, s.child.exitCode, s.child.signalCode]).toEqual([runtime, null, null]);
  }, 40_000);
});
