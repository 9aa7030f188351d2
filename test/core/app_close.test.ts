/**
 * `app.close()` in memory: every open connection of the app gets 1001 "server shutting down",
 * the promise resolves once each `onclose` has run, or after the timeout for peers that never
 * answer; connections that closed earlier are not touched.
 */
import { describe, expect, it, vi } from "vitest";
import { Rookery } from "../../mod.ts";
import { connect, type MemorySocket, settle, upgradeRequest } from "../support/memory_transport.ts";

async function openApp(count: number, echoClose = true) {
  const app = new Rookery({ logger: () => {} });
  const closes: string[] = [];
  app.ws("/c").onclose((conn, reason, code) => void closes.push(`${conn.id}:${code}:${reason}`));
  const sockets: MemorySocket[] = [];
  for (let i = 0; i < count; i++) {
    const r = await connect(app, upgradeRequest("/c"), { echoClose });
    if (!("socket" in r)) throw new Error("not upgraded");
    sockets.push(r.socket);
  }
  await settle();
  return { app, closes, sockets };
}

describe("app.close()", () => {
  it("sends 1001 to every open connection and resolves after every onclose", async () => {
    const { app, closes, sockets } = await openApp(3);
    sockets[0]!.events.closed(1000, "left early");
    await settle();
    expect(closes).toHaveLength(1);
    const started = Date.now();
    await app.close();
    // Resolved by the last onclose, not by the 6 s safety timeout.
    expect(Date.now() - started).toBeLessThan(1000);
    expect(sockets.slice(1).map((s) => s.serverClose)).toEqual([
      { code: 1001, reason: "server shutting down" },
      { code: 1001, reason: "server shutting down" },
    ]);
    expect(sockets[0]!.serverClose).toBeUndefined();
    expect(closes).toHaveLength(3);
    expect(closes.slice(1).every((c) => c.endsWith(":1001:server shutting down"))).toBe(true);
  });

  it("resolves at once with nothing open, and after the timeout when a peer never answers", async () => {
    const empty = new Rookery();
    await empty.close();
    const { app, closes, sockets } = await openApp(1, false);
    const started = Date.now();
    await app.close(150);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(sockets[0]!.serverClose?.code).toBe(1001);
    expect(closes).toEqual([]);
    // The adapter's own close timeout ends it later; onclose runs then.
    sockets[0]!.finishClose();
    await settle();
    expect(closes).toHaveLength(1);
  });

  it("connections of another app are not touched", async () => {
    const one = await openApp(1);
    const other = await openApp(1);
    await one.app.close();
    expect(one.sockets[0]!.serverClose?.code).toBe(1001);
    expect(other.sockets[0]!.serverClose).toBeUndefined();
  });

  it("without an answer it gives up after 6 s by default: the adapters' 5 s close timeout and a margin", async () => {
    const { app } = await openApp(1, false);
    vi.useFakeTimers();
    try {
      let done = false;
      void app.close().then(() => (done = true));
      await vi.advanceTimersByTimeAsync(5999);
      expect(done).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(done).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});
