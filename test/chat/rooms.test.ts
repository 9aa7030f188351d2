/**
 * The chat's room book-keeping and rate limit in process, with short timers: the rules the
 * end-to-end hardening test can only observe from outside.
 */
import { describe, expect, it } from "vitest";
import { HISTORY } from "../../examples/chat/app.ts";
import { fullBucket, take } from "../../examples/chat/rate.ts";
import { FULL, Rooms, TAKEN } from "../../examples/chat/rooms.ts";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const line = (text: string) => ({ type: "message" as const, nick: "n", text, at: 0 });

describe("chat rooms", () => {
  it("a nickname is reserved once: the next reservation is refused until it is released", async () => {
    const rooms = new Rooms({ maxRooms: 10, reserveMs: 30, history: HISTORY });
    const first = rooms.reserve("r", "sam");
    expect(first.ok).toBe(true);
    expect(rooms.reserve("r", "sam")).toEqual({ ok: false, status: 409, text: TAKEN });
    expect(rooms.reserve("r", "ann").ok).toBe(true);
    expect(rooms.reserved).toBe(2);
    // Neither socket opens: the timers free both nicknames, and the room with them.
    await sleep(60);
    expect([rooms.size, rooms.reserved]).toEqual([0, 0]);
    expect(rooms.reserve("r", "sam").ok).toBe(true);
  });

  it("a claimed nickname outlives its timer and goes with leave, taking the room's history", async () => {
    const rooms = new Rooms({ maxRooms: 10, reserveMs: 20, history: HISTORY });
    const held = rooms.reserve("r", "sam");
    if (!held.ok) throw new Error("refused");
    expect(rooms.claim("r", "sam", held.hold).ok).toBe(true);
    for (let i = 0; i < HISTORY + 5; i++) rooms.record("r", line(`${i}`));
    await sleep(40);
    expect(rooms.members("r")).toEqual(["sam"]);
    expect(rooms.history("r").map((e) => (e.type === "message" ? e.text : ""))).toEqual(
      Array.from({ length: HISTORY }, (_, i) => `${i + 5}`),
    );
    expect(rooms.reserve("r", "sam")).toMatchObject({ ok: false, status: 409 });
    rooms.leave("r", "sam");
    expect(rooms.size).toBe(0);
    rooms.record("r", line("after"));
    expect(rooms.history("r")).toEqual([]);
  });

  it("a lapsed hold is claimed afresh if the nickname is still free, refused if it was taken", async () => {
    const rooms = new Rooms({ maxRooms: 10, reserveMs: 10, history: HISTORY });
    const slow = rooms.reserve("r", "sam");
    const late = rooms.reserve("q", "kim");
    if (!slow.ok || !late.ok) throw new Error("refused");
    await sleep(30);
    expect(rooms.claim("r", "sam", slow.hold).ok).toBe(true);
    expect(rooms.reserve("q", "kim").ok).toBe(true);
    expect(rooms.claim("q", "kim", late.hold)).toEqual({ ok: false, status: 409, text: TAKEN });
  });

  it("past maxRooms a new room is refused with 503; existing rooms still take members", () => {
    const rooms = new Rooms({ maxRooms: 2, reserveMs: 1000, history: HISTORY });
    expect(rooms.reserve("a", "x").ok).toBe(true);
    expect(rooms.reserve("b", "x").ok).toBe(true);
    expect(rooms.reserve("c", "x")).toEqual({ ok: false, status: 503, text: FULL });
    expect(rooms.reserve("a", "y").ok).toBe(true);
    expect(rooms.size).toBe(2);
  });
});

describe("chat rate limit", () => {
  it("takes the burst at once, then the sustained rate", () => {
    const rate = { perSecond: 20, burst: 40 };
    const bucket = fullBucket(rate, 0);
    let taken = 0;
    while (take(bucket, rate, 0)) taken++;
    expect(taken).toBe(40);
    // Half a second refills 10 tokens; a long pause refills no more than the burst.
    for (let i = 0; i < 10; i++) expect(take(bucket, rate, 500)).toBe(true);
    expect(take(bucket, rate, 500)).toBe(false);
    taken = 0;
    while (take(bucket, rate, 60_000)) taken++;
    expect(taken).toBe(40);
  });
});
