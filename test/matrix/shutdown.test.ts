/**
 * Graceful shutdown on every runtime: `close()` sends 1001 "server shutting down" to every open
 * connection, messages received before it were all delivered, `onclose` runs once for each, and
 * then the process can exit.
 */
import { WebSocket } from "undici";
import { describe, expect, it } from "vitest";
import { type Runtime, startServer } from "../../scripts/spawn_server.ts";

describe.each<Runtime>(["node", "deno", "bun"])("graceful shutdown on %s", (runtime) => {
  it("1001 to every client, onclose for each, every accepted message delivered, then exit", async () => {
    const server = await startServer(runtime, "test/matrix/fixture_server.ts");
    try {
      const clients = await Promise.all(
        [0, 1, 2].map(async (i) => {
          const ws = new WebSocket(`ws://127.0.0.1:${server.port}/echo?t=shutdown-${i}`);
          const got: string[] = [];
          ws.addEventListener("message", (e) => got.push(String(e.data)));
          const closed = new Promise<[number, string]>((r) => ws.addEventListener("close", (e) => r([e.code, e.reason])));
          await new Promise((r) => ws.addEventListener("open", r));
          for (let m = 0; m < 5; m++) ws.send(`m${m}`);
          const deadline = Date.now() + 5000;
          while (got.length < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
          return { closed, got };
        }),
      );
      const exited = new Promise<number | null>((r) => server.child.once("exit", (code) => r(code)));
      server.child.kill("SIGHUP");
      for (const c of clients) {
        expect(c.got).toEqual(["m0", "m1", "m2", "m3", "m4"]);
        expect(await c.closed).toEqual([1001, "server shutting down"]);
      }
      expect(await exited).toBe(0);
      const line = server.output().split("\n").find((l) => l.startsWith("SHUTDOWN "));
      const transcripts = JSON.parse(line!.slice("SHUTDOWN ".length)) as Record<string, string[]>;
      for (const i of [0, 1, 2]) {
        expect(transcripts[`shutdown-${i}`]).toEqual([
          "open",
          ...[0, 1, 2, 3, 4].map((m) => `message:text:m${m}`),
          "close:1001:server shutting down",
        ]);
      }
    } finally {
      await server.stop();
    }
  }, 30_000);
});
