/**
 * idleTimeout on every runtime, with a client that stops answering (it never sends a pong):
 * the server pings it, then drops it, with `onerror` 1006 then `onclose` 1006. Bun's timer counts
 * in 4-second steps, so the drop takes longer there.
 */
import { WebSocket } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, type Runtime, startServer } from "../../scripts/spawn_server.ts";
import { RawClient } from "../support/raw_client.ts";

describe.each<Runtime>(["node", "deno", "bun"])("idleTimeout on %s", (runtime) => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer(runtime, "test/matrix/fixture_server.ts", { args: ["--idle", "1"] });
  }, 30_000);
  afterAll(() => server?.stop());

  it("a client that stops answering is pinged, then dropped: onerror 1006, onclose 1006", async () => {
    const c = await RawClient.handshake(server.port, "/echo?t=idle");
    await c.until(() => c.ended, 15_000);
    expect(c.frames.some((f) => f.opcode === 9)).toBe(true);
    let events: string[] = [];
    for (let i = 0; i < 100 && !events.some((e) => e.startsWith("close:")); i++) {
      events = (await (await fetch(`http://127.0.0.1:${server.port}/events?t=idle`)).json()) as string[];
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(events).toEqual(["open", "error:1006:ConnectionLostError", "close:1006:"]);
  }, 20_000);

  it.skipIf(runtime === "bun")("a client that answers pings stays connected past the timeout", async () => {
    // Skipped on Bun only because its 4-second steps would make this test take 10 s; the drop
    // test above covers Bun's idle handling.
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/echo?t=alive`);
    await new Promise((r) => ws.addEventListener("open", r));
    await new Promise((r) => setTimeout(r, 3500));
    expect(ws.readyState).toBe(WebSocket.OPEN);
    const echoed = new Promise((r) => ws.addEventListener("message", (e) => r(e.data)));
    ws.send("still here");
    expect(await echoed).toBe("still here");
    ws.close();
  }, 10_000);
});
