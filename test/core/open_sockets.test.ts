/**
 * `OpenSockets`, the set a server closes on shutdown: every adapter adds a connection when it
 * opens and deletes it when it has closed.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { OpenSockets } from "../../src/open_sockets.ts";
import type { SocketEvents } from "../../src/socket_port.ts";

/** A connection's events; `close` records the call and, with `closes`, deletes it from `sockets`. */
function socket(sockets: OpenSockets, closes: "at once" | "later" | "never", calls: string[]): SocketEvents {
  const events: SocketEvents = {
    open: () => {},
    message: () => {},
    fail: () => {},
    closed: () => {},
    drain: () => {},
    pong: () => {},
    close: (code, reason) => {
      calls.push(`${code}:${reason}`);
      if (closes === "at once") sockets.delete(events);
      if (closes === "later") setTimeout(() => sockets.delete(events), 5);
    },
  };
  sockets.add(events);
  return events;
}

/** What `promise` settled to within `ms`, or "pending". */
function within<T>(promise: Promise<T>, ms: number): Promise<T | "pending"> {
  return Promise.race([promise, new Promise<"pending">((resolve) => setTimeout(() => resolve("pending"), ms))]);
}

afterEach(() => void vi.useRealTimers());

describe("OpenSockets", () => {
  it("counts what was added and not yet deleted", () => {
    const sockets = new OpenSockets();
    const calls: string[] = [];
    const a = socket(sockets, "never", calls);
    socket(sockets, "never", calls);
    expect(sockets.size).toBe(2);
    sockets.add(a);
    expect(sockets.size).toBe(2);
    sockets.delete(a);
    expect(sockets.size).toBe(1);
    sockets.delete(a);
    expect(sockets.size).toBe(1);
  });

  it("deleting the last one with no shutdown waiting is fine", () => {
    const sockets = new OpenSockets();
    const a = socket(sockets, "never", []);
    expect(() => sockets.delete(a)).not.toThrow();
    expect(sockets.size).toBe(0);
  });

  it("closeAll with nothing open resolves true at once", async () => {
    const sockets = new OpenSockets();
    expect(await within(sockets.closeAll(1001, "bye", 1000), 50)).toBe(true);
  });

  it("closeAll closes each connection with the code and reason and resolves true once all are gone", async () => {
    const sockets = new OpenSockets();
    const calls: string[] = [];
    socket(sockets, "at once", calls);
    socket(sockets, "later", calls);
    socket(sockets, "later", calls);
    const done = sockets.closeAll(1001, "going away", 1000);
    expect(calls).toEqual(["1001:going away", "1001:going away", "1001:going away"]);
    expect(await within(done, 500)).toBe(true);
    expect(sockets.size).toBe(0);
  });

  it("closeAll waits for the last connection, not the first", async () => {
    const sockets = new OpenSockets();
    const a = socket(sockets, "never", []);
    const b = socket(sockets, "never", []);
    const done = sockets.closeAll(1001, "", 1000);
    sockets.delete(a);
    expect(await within(done, 20)).toBe("pending");
    sockets.delete(b);
    expect(await within(done, 50)).toBe(true);
  });

  it("closeAll resolves false after the timeout when a connection stays open", async () => {
    const sockets = new OpenSockets();
    socket(sockets, "at once", []);
    socket(sockets, "never", []);
    expect(await within(sockets.closeAll(1001, "", 20), 500)).toBe(false);
    expect(sockets.size).toBe(1);
  });

  it("once all have closed, the timeout no longer holds a timer", async () => {
    vi.useFakeTimers();
    const sockets = new OpenSockets();
    const a = socket(sockets, "never", []);
    const done = sockets.closeAll(1001, "", 10_000);
    expect(vi.getTimerCount()).toBe(1);
    sockets.delete(a);
    expect(await done).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });
});
