/**
 * The chat demo against hostile clients, on every runtime, with the real server as a child
 * process: abandoned rooms give their memory back, the room cap answers 503, one nickname is
 * accepted once however the joins race, a reservation whose socket never opens is released,
 * and a flooder is cut off while the room carries on.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FULL, TAKEN } from "../../examples/chat/rooms.ts";
import { HISTORY, RATE_BURST, RATE_CLOSE, RATE_PER_SECOND } from "../../examples/chat/app.ts";
import { type RunningServer, type Runtime, startServer } from "../../scripts/spawn_server.ts";
import { clientFrame, RawClient } from "../support/raw_client.ts";
import {
  answerClose,
  events,
  join,
  joinMany,
  leave,
  READY,
  refusalBody,
  say,
  settledHeap,
  sleep,
  stats,
  statsUntil,
} from "./chat_client.ts";

/** The scenario: 1,500 rooms of 50 lines of 500 characters, all abandoned. */
const ROOMS = 1500;
const LINE = 500;
/** Growth allowed once every room is gone, after a full GC. */
const HEAP_BOUND = 8 * 1024 * 1024;
/** Short, so the test of a reservation that never opens needs no long wait. */
const RESERVE_MS = 1000;

const upgradeRequest = (path: string) =>
  `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
  `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;

describe.each<Runtime>(["node", "deno", "bun"])("chat hardening on %s", (runtime) => {
  let server: RunningServer;
  const port = () => server.port;

  beforeAll(async () => {
    const args = ["--port", "0", "--hostname", "127.0.0.1", "--stats", "--max-rooms", String(ROOMS), "--reserve-ms", String(RESERVE_MS)];
    server = await startServer(runtime, "examples/chat/server.ts", { args, exposeGc: true, ready: READY });
  }, 30_000);
  afterAll(() => server?.stop());

  /** Joins once the nickname is free (409 until then), or gives up at `deadline`. */
  const joinWhenFree = async (room: string, nick: string, deadline: number): Promise<RawClient> => {
    for (;;) {
      const attempt = await join(port(), room, nick);
      if (attempt.status !== 409 || Date.now() > deadline) return attempt;
      attempt.destroy();
      await sleep(100);
    }
  };

  it(`${ROOMS} rooms of ${HISTORY} lines, abandoned: their memory comes back`, async () => {
    // Warm up, so the baseline already holds what a first room, line and leave load.
    const warm = await join(port(), "warm-up", "w");
    say(warm, ["a".repeat(LINE)]);
    await warm.until(() => events(warm).some((e) => e.type === "message"));
    await leave(warm);
    expect((await statsUntil(port(), (s) => s.rooms === 0)).rooms).toBe(0);
    const before = await settledHeap(port());

    const clients = await joinMany(port(), Array.from({ length: ROOMS }, (_, i) => `mem-${i}`), "m");
    expect(clients.filter((c) => c.status !== 101)).toHaveLength(0);
    // Distinct lines, so no runtime can share one string between rooms.
    const lines = (i: number) => Array.from({ length: HISTORY }, (_, n) => `${i}:${n}:`.padEnd(LINE, "x"));
    // Within the default rate: the burst at once, the rest once the server has taken the burst
    // (seen in the echoes) and the bucket has refilled enough for them.
    clients.forEach((c, i) => say(c, lines(i).slice(0, RATE_BURST)));
    const echoed = (c: RawClient, n: number) => c.until(() => events(c).filter((e) => e.type === "message").length >= n, 20_000);
    await Promise.all(clients.map((c) => echoed(c, RATE_BURST)));
    await sleep(((HISTORY - RATE_BURST) / RATE_PER_SECOND) * 1000 + 150);
    clients.forEach((c, i) => say(c, lines(i).slice(RATE_BURST)));
    await Promise.all(clients.map((c) => echoed(c, HISTORY)));

    const full = await stats(port());
    expect(full.rooms).toBe(ROOMS);
    await Promise.all(clients.map((c) => leave(c)));
    const empty = await statsUntil(port(), (s) => s.rooms === 0);
    expect(empty).toMatchObject({ rooms: 0, reserved: 0 });
    const after = await settledHeap(port());
    const mib = (n: number) => (n / 2 ** 20).toFixed(1);
    console.log(`[${runtime}] heap: before ${mib(before)} MiB, ${ROOMS} rooms full ${mib(full.heap)} MiB, all left ${mib(after)} MiB`);
    // The measurement sees the history: 1,500 x 50 x 500 characters is 36 MiB at the least.
    expect(full.heap - before).toBeGreaterThan(24 * 2 ** 20);
    expect(after - before).toBeLessThan(HEAP_BOUND);
    expect(server.child.exitCode).toBeNull();
  }, 45_000);

  it("a join that would open a room past the cap gets 503; an existing room still takes joins", async () => {
    const clients = await joinMany(port(), Array.from({ length: ROOMS }, (_, i) => `cap-${i}`), "c");
    expect(clients.filter((c) => c.status !== 101)).toHaveLength(0);
    expect((await stats(port())).rooms).toBe(ROOMS);

    const refused = await join(port(), "one-too-many", "c");
    expect(refused.status).toBe(503);
    expect(await refusalBody(refused, FULL)).toContain(FULL);
    const guest = await join(port(), "cap-7", "guest");
    expect(guest.status).toBe(101);

    await Promise.all([...clients, guest].map((c) => leave(c)));
    expect((await statsUntil(port(), (s) => s.rooms === 0)).rooms).toBe(0);
    const later = await join(port(), "one-too-many", "c");
    expect(later.status).toBe(101);
    await leave(later);
  }, 25_000);

  it("of 4 simultaneous joins with one nickname, exactly one gets in (10 trials)", async () => {
    for (let trial = 0; trial < 10; trial++) {
      const racers = await Promise.all(Array.from({ length: 4 }, () => join(port(), `race-${trial}`, "sam")));
      expect(racers.map((c) => c.status).sort()).toEqual([101, 409, 409, 409]);
      for (const loser of racers.filter((c) => c.status === 409)) expect(await refusalBody(loser, TAKEN)).toContain(TAKEN);
      const winner = racers.find((c) => c.status === 101)!;
      await winner.until(() => events(winner).some((e) => e.type === "welcome"));
      await leave(winner);
    }
    expect((await statsUntil(port(), (s) => s.rooms === 0)).rooms).toBe(0);
  });

  it("nicknames reserved by handshakes whose clients reset before the socket opened are released", async () => {
    const started = Date.now();
    const rooms = Array.from({ length: 10 }, (_, i) => `lost-${i}`);
    for (const room of rooms) {
      const quitter = await RawClient.open(port());
      quitter.write(upgradeRequest(`/chat/${room}?nick=ghost`));
      quitter.socket.resetAndDestroy();
    }
    await sleep(200);
    const { reserved } = await stats(port());
    const back = await Promise.all(rooms.map((room) => joinWhenFree(room, "ghost", started + RESERVE_MS + 3000)));
    console.log(`[${runtime}] reservations: ${reserved} of 10 held at 200 ms, all joined again after ${Date.now() - started} ms`);
    expect(back.map((c) => c.status)).toEqual(rooms.map(() => 101));
    // Deno accepts these and never opens their sockets (measured: 18 of 20 held, freed by the
    // timer alone); Node and Bun either never accept them or open and close them at once.
    if (runtime === "deno") expect(reserved).toBeGreaterThan(0);
    await Promise.all(back.map((c) => leave(c)));
    expect(await statsUntil(port(), (s) => s.rooms === 0)).toMatchObject({ rooms: 0, reserved: 0 });
  });

  it(`a flooder is closed with ${RATE_CLOSE.code}; the room gets at most its allowance and carries on`, async () => {
    const listener = await join(port(), "flood", "listener");
    const flooder = await join(port(), "flood", "flooder");
    expect([listener.status, flooder.status]).toEqual([101, 101]);
    await flooder.until(() => events(flooder).some((e) => e.type === "welcome"));

    const started = performance.now();
    flooder.write(Buffer.concat(Array.from({ length: 2000 }, (_, i) => clientFrame(1, `spam ${i}`))));
    const close = await answerClose(flooder);
    // Deno (2.9.6) ends the TCP connection without sending the close frame when frames keep
    // arriving after close() (measured: a FIN one frame past the burst, a reset at 2,000); the
    // test below shows the reason reaching a client that stops in time on every runtime.
    if (runtime !== "deno" || close) expect(close).toEqual({ code: RATE_CLOSE.code, reason: RATE_CLOSE.reason });
    const seconds = (performance.now() - started) / 1000;
    await listener.until(() => events(listener).some((e) => e.type === "leave" && e.nick === "flooder"));
    const spam = events(listener).filter((e) => e.type === "message" && e.nick === "flooder").length;
    console.log(`[${runtime}] flood: 2000 sent, ${spam} broadcast, cut off after ${(seconds * 1000).toFixed(0)} ms`);
    expect(spam).toBeGreaterThanOrEqual(RATE_BURST);
    expect(spam).toBeLessThanOrEqual(RATE_BURST + Math.ceil(seconds * RATE_PER_SECOND) + 1);

    expect(server.child.exitCode).toBeNull();
    const newcomer = await join(port(), "flood", "flooder");
    expect(newcomer.status).toBe(101);
    say(newcomer, ["calm now"]);
    await listener.until(() => events(listener).some((e) => e.type === "message" && e.text === "calm now"));
    await Promise.all([leave(newcomer), leave(listener)]);
  });

  it(`one message past the burst: the sender gets ${RATE_CLOSE.code} and the reason`, async () => {
    const eager = await join(port(), "eager", "eager");
    await eager.until(() => events(eager).some((e) => e.type === "welcome"));
    say(eager, Array.from({ length: RATE_BURST + 1 }, (_, i) => `line ${i}`));
    expect(await answerClose(eager)).toEqual({ code: RATE_CLOSE.code, reason: RATE_CLOSE.reason });
    expect(events(eager).filter((e) => e.type === "message")).toHaveLength(RATE_BURST);
  });
});
