/**
 * The chat demo as a cluster on each runtime: `--workers 2` processes on one port (reusePort),
 * rooms shared through a private Redis. Connections spread over both workers, and a message
 * reaches every member of the room whichever worker serves them.
 */
import { WebSocket } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PrivateRedis, startRedis } from "../../scripts/redis_server.ts";
import { type Runtime, startServer } from "../../scripts/spawn_server.ts";
import { until } from "../support/redis_app.ts";

const CLIENTS = 20;

interface Member {
  ws: WebSocket;
  events: { type: string; text?: string; worker?: string }[];
}

async function member(port: number, nick: string): Promise<Member> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/chat/lobby?nick=${nick}`);
  const m: Member = { ws, events: [] };
  ws.onmessage = (e) => m.events.push(JSON.parse(e.data as string));
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  return m;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

let redis: PrivateRedis;
beforeAll(async () => void (redis = await startRedis()));
afterAll(async () => await redis.stop());

describe.each<Runtime>(["node", "deno", "bun"])("chat --workers 2 on %s", (runtime) => {
  it("spreads connections over both workers and delivers a room message to every member once", async () => {
    const server = await startServer(runtime, "examples/chat/server.ts", {
      args: ["--port", "0", "--workers", "2", "--redis", redis.url],
      ready: /chat running at http:\/\/[^:]+:(\d+)\/ \(\w+, 2 workers/,
    });
    const pids = /2 workers (\d+) (\d+)/.exec(server.output())!.slice(1).map(Number);
    const members: Member[] = [];
    try {
      for (let i = 0; i < CLIENTS; i++) members.push(await member(server.port, `u${i}`));
      await until(() => members.every((m) => m.events.some((e) => e.type === "welcome")));
      const workers = new Set(members.map((m) => m.events.find((e) => e.type === "welcome")!.worker));
      // SO_REUSEPORT hashes each connection's address pair: 20 all on one worker has odds of 1 in 524,288.
      expect(workers.size).toBe(2);

      // Joins published before a worker's subscription reached Redis may be missed; a message
      // is sent once every worker listens, so wait until the last join has reached everyone.
      await until(() => members.every((m) => m.events.some((e) => e.type === "join" && JSON.stringify(e).includes(`u${CLIENTS - 1}`))));
      members[0]!.ws.send("hello from u0");
      await until(() => members.every((m) => m.events.some((e) => e.text === "hello from u0")), 10_000);
      await new Promise((r) => setTimeout(r, 150));
      for (const [i, m] of members.entries()) {
        expect([i, m.events.filter((e) => e.type === "message").map((e) => e.text)]).toEqual([i, ["hello from u0"]]);
      }
    } finally {
      for (const m of members) m.ws.close();
      await server.stop();
    }
    await until(() => pids.every((pid) => !alive(pid)));
    expect(pids.filter(alive)).toEqual([]);
  }, 60_000);
});
