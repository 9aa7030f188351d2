/**
 * The server side of what the chat page relies on to show why a join was refused: a handshake
 * that asks with `refusal=close` is accepted and closed at once with `4000 + status` and the
 * refusal's text, on every runtime's adapter (the page may be served by any of them), while a
 * client that does not ask keeps the plain HTTP refusal. Raw TCP, no browser: a browser cannot
 * see the HTTP answer, which is the whole point, and would hide what is on the wire.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TAKEN } from "../../examples/chat/rooms.ts";
import { type RunningServer, type Runtime, startServer } from "../../scripts/spawn_server.ts";
import { RawClient } from "../support/raw_client.ts";
import { answerClose, events, join, leave, READY, refusalBody, stats, statsUntil } from "../chat/chat_client.ts";

/** A join that asks to be refused with a close (what the chat page sends). */
const joinAsking = (port: number, room: string, nick: string) =>
  RawClient.handshake(port, `/chat/${room}?nick=${encodeURIComponent(nick)}&refusal=close`);

describe.each<Runtime>(["node", "deno", "bun"])("chat refusals as a close on %s", (runtime) => {
  let server: RunningServer;
  const port = () => server.port;

  beforeAll(async () => {
    server = await startServer(runtime, "examples/chat/server.ts", { args: ["--port", "0", "--stats", "--max-rooms", "2"], ready: READY });
  }, 30_000);
  afterAll(() => server?.stop());

  it("a taken nickname, a bad nickname and a full server are each told in a 4xxx close; holding nothing", async () => {
    const ann = await join(port(), "quay", "ann");
    await ann.until(() => events(ann).some((e) => e.type === "welcome"), 5000);

    const taken = await joinAsking(port(), "quay", "ann");
    expect(taken.status).toBe(101);
    expect(await answerClose(taken)).toEqual({ code: 4409, reason: TAKEN.trim() });
    // Accepted only to say no: no welcome, no join notice.
    expect(events(taken)).toEqual([]);

    const bad = await joinAsking(port(), "quay", "a/b");
    expect(await answerClose(bad)).toEqual({ code: 4400, reason: "Nicknames are 1-24 letters, digits, spaces, _ or -" });

    const second = await join(port(), "pier", "bob");
    await second.until(() => events(second).some((e) => e.type === "welcome"), 5000);
    const full = await joinAsking(port(), "third", "cy");
    expect((await answerClose(full))?.code).toBe(4503);

    // The refused sockets reserved nothing and opened no room; ann heard only her own join.
    expect(await stats(port())).toMatchObject({ rooms: 2, reserved: 0 });
    expect(events(ann).map((e) => `${e.type} ${e.nick}`)).toEqual(["welcome ann", "join ann"]);
    await Promise.all([leave(ann), leave(second)]);
    expect((await statsUntil(port(), (s) => s.rooms === 0, 5000)).rooms).toBe(0);
  }, 20_000);

  it("without refusal=close the refusal stays an HTTP 409 with the text", async () => {
    const ann = await join(port(), "dock", "ann");
    await ann.until(() => events(ann).some((e) => e.type === "welcome"), 5000);
    const plain = await join(port(), "dock", "ann");
    expect(plain.status).toBe(409);
    expect(await refusalBody(plain, TAKEN)).toContain(TAKEN);
    await leave(ann);
  }, 20_000);
});
