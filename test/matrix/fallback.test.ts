/**
 * The fallback gets the runtime's own second argument on every runtime, so Hono works as the
 * fallback: its `getConnInfo` reads the client address through it. Rookery's route still works.
 */
import { WebSocket } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, type Runtime, startServer } from "../../scripts/spawn_server.ts";

describe.each<Runtime>(["node", "deno", "bun"])("Hono as the fallback on %s", (runtime) => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer(runtime, "test/matrix/hono_server.ts");
  }, 30_000);
  afterAll(() => server?.stop());

  it("getConnInfo sees the client's address; the WebSocket route is Rookery's", async () => {
    expect(await (await fetch(`http://127.0.0.1:${server.port}/ip`)).text()).toBe(`${runtime} 127.0.0.1`);
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`);
    const echoed = new Promise((resolve) => ws.addEventListener("message", (e) => resolve(e.data)));
    await new Promise((resolve) => ws.addEventListener("open", resolve));
    ws.send("through Rookery");
    expect(await echoed).toBe("through Rookery");
    ws.close();
  });
});
