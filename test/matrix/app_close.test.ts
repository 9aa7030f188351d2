/**
 * `app.close()` on every runtime, whichever low-level entry accepted the connections (Node's
 * `handleUpgrade` on the user's own server, Deno's `handler` in the user's `Deno.serve`, Bun's
 * `handlers` in the user's `Bun.serve`): every client gets 1001 "server shutting down", every
 * `onclose` runs once, and the promise resolves after that.
 */
import { WebSocket } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, type Runtime, startServer } from "../../scripts/spawn_server.ts";

const CLIENTS = 5;

describe.each<Runtime>(["node", "deno", "bun"])("app.close() on %s's own server", (runtime) => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer(runtime, `test/own/${runtime}.ts`);
  }, 30_000);
  afterAll(() => server?.stop());

  it(`${CLIENTS} clients get 1001 and every onclose runs once`, async () => {
    const clients = await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`);
        const closed = new Promise<{ code: number; reason: string }>((r) => ws.addEventListener("close", (e) => r({ code: e.code, reason: e.reason })));
        await new Promise((r) => ws.addEventListener("open", r));
        return { ws, closed };
      }),
    );
    const after = (await (await fetch(`http://127.0.0.1:${server.port}/shutdown`)).json()) as { opened: number; closed: number; closeCodes: number[] };
    expect(after).toEqual({ opened: CLIENTS, closed: CLIENTS, closeCodes: Array(CLIENTS).fill(1001), logged: [] });
    for (const c of clients) expect(await c.closed).toEqual({ code: 1001, reason: "server shutting down" });
    // onclose ran once each: nothing more arrives later.
    await new Promise((r) => setTimeout(r, 200));
    expect(((await (await fetch(`http://127.0.0.1:${server.port}/stats`)).json()) as { closed: number }).closed).toBe(CLIENTS);
  });
});

describe.each<Runtime>(["node", "deno", "bun"])("the low-level entry on %s's own server", (runtime) => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer(runtime, `test/own/${runtime}.ts`);
  }, 30_000);
  afterAll(() => server?.stop());

  it("a handler that throws with no onerror reaches the app's logger, with the route", async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/throws`);
    const closed = new Promise<number>((r) => ws.addEventListener("close", (e) => r(e.code)));
    await new Promise((r) => ws.addEventListener("open", r));
    ws.send("boom");
    expect(await closed).toBe(1011);
    await expect
      .poll(async () => ((await (await fetch(`http://127.0.0.1:${server.port}/stats`)).json()) as { logged: string[] }).logged, { timeout: 3000 })
      .toContainEqual(expect.stringMatching(/^onmessage handler threw on http:\/\/127\.0\.0\.1:\d+\/throws \(no onerror on this route\): a bug in onmessage$/));
  });

  // Node's handleUpgrade has no fallback (the user's server answers plain requests); Node's
  // fallback gets its second argument through serve, tested with Hono in fallback.test.ts.
  it.runIf(runtime !== "node")("the fallback gets the runtime's second argument (the client's address)", async () => {
    expect(await (await fetch(`http://127.0.0.1:${server.port}/who`)).json()).toEqual({ remote: "127.0.0.1" });
  });
});

