/**
 * Inbound flow control in the core: messages waiting behind a pending handler are bounded by
 * `maxBacklog`. A port that can pause is paused past the bound and resumed at half of it; a port
 * that cannot is failed with 1008.
 */
import { describe, expect, it } from "vitest";
import { type Connection, Rookery } from "../../mod.ts";
import { QUEUED_MESSAGE_OVERHEAD } from "../../src/backlog.ts";
import { connect, type MemorySocket, settle, upgradeRequest } from "../support/memory_transport.ts";
import { describeMessage } from "../support/recording_app.ts";

/** A route whose `onmessage` waits for `release()` on every message while `gated` is on. */
function gatedApp(options: { app?: number; route?: number } = {}) {
  const app = new Rookery({ logger: () => {}, ...(options.app === undefined ? {} : { maxBacklog: options.app }) });
  const transcript: string[] = [];
  let gate: { promise: Promise<void>; open: () => void } | undefined;
  const state = { gated: true };
  const route = app.ws("/gated");
  if (options.route !== undefined) route.maxBacklog(options.route);
  route
    .onopen(() => void transcript.push("open"))
    .onmessage((_conn: Connection<undefined>, message, isBinary) => {
      transcript.push(describeMessage(message, isBinary));
      if (!state.gated) return;
      let open!: () => void;
      const promise = new Promise<void>((r) => (open = r));
      gate = { promise, open };
      return promise;
    })
    .onerror((_conn, error) => void transcript.push(`error:${error.code}:${error.name}`))
    .onclose((_conn, reason, code) => void transcript.push(`close:${code}:${reason}`));
  return {
    app,
    transcript,
    state,
    /** Lets the pending handler finish. */
    release: () => gate?.open(),
  };
}

async function open(app: Rookery, pausable: boolean): Promise<MemorySocket> {
  const result = await connect(app, upgradeRequest("/gated"), { pausable });
  if (!("socket" in result)) throw new Error(`not upgraded: ${result.response.status}`);
  await settle();
  return result.socket;
}

/** A binary message whose backlog cost is exactly `cost` bytes. */
const costing = (cost: number) => new Uint8Array(cost - QUEUED_MESSAGE_OVERHEAD);

describe("maxBacklog where the port can pause (Node's codec)", () => {
  it("pauses once past the bound, resumes at half of it, and delivers everything in order", async () => {
    const g = gatedApp({ app: 1000 });
    const s = await open(g.app, true);
    s.events.message("first", false); // runs, and its promise stays pending
    for (let i = 0; i < 4; i++) s.events.message(costing(250), true); // 1000 waiting: at the bound
    expect(s.flow).toEqual([]);
    s.events.message(costing(250), true); // 1250: over it
    expect(s.flow).toEqual(["pause"]);
    s.events.message(costing(250), true); // more may still come from what the codec held
    expect(s.flow).toEqual(["pause"]);

    g.state.gated = false;
    g.release();
    await settle();
    // 1500 waiting: resumed once 750 (half the bound) or less waited.
    expect(s.flow).toEqual(["pause", "resume"]);
    expect(g.transcript).toEqual(["open", "message:text:first", ...Array(6).fill(`message:binary:${250 - QUEUED_MESSAGE_OVERHEAD}`)]);
    expect(s.serverClose).toBeUndefined();
  });

  it("resumes exactly when the backlog falls to half the bound, not before", async () => {
    const g = gatedApp({ app: 1000 });
    const s = await open(g.app, true);
    s.events.message("first", false);
    for (let i = 0; i < 5; i++) s.events.message(costing(250), true); // 1250
    expect(s.flow).toEqual(["pause"]);
    // Each release lets one waiting message run (its handler then waits again).
    g.release();
    await settle();
    expect(s.flow).toEqual(["pause"]); // 1000 waiting
    g.release();
    await settle();
    expect(s.flow).toEqual(["pause"]); // 750 waiting: resumed only when the next one is taken
    g.release();
    await settle();
    expect(s.flow).toEqual(["pause", "resume"]); // 500 waiting
  });

  it("a message arriving with nothing waiting is taken whatever its size", async () => {
    const g = gatedApp({ app: 100 });
    const s = await open(g.app, true);
    s.events.message("first", false);
    s.events.message(new Uint8Array(10_000), true);
    expect(s.flow).toEqual([]);
    s.events.message(new Uint8Array(0), true);
    expect(s.flow).toEqual(["pause"]);
  });

  it("empty messages are bounded too: each costs the per-message overhead", async () => {
    const g = gatedApp({ app: 10 * QUEUED_MESSAGE_OVERHEAD });
    const s = await open(g.app, true);
    s.events.message("first", false);
    for (let i = 0; i < 10; i++) s.events.message("", false);
    expect(s.flow).toEqual([]);
    s.events.message("", false);
    expect(s.flow).toEqual(["pause"]);
  });

  it("a handler failure while paused resumes reading (nothing more is delivered)", async () => {
    const app = new Rookery({ logger: () => {}, maxBacklog: 500 });
    const transcript: string[] = [];
    let fail!: (e: Error) => void;
    app
      .ws("/gated")
      .onmessage((_c, message) => {
        transcript.push(String(message));
        return new Promise<void>((_r, j) => (fail = j));
      })
      .onerror((_c, error) => void transcript.push(`error:${error.code}`))
      .onclose((_c, _reason, code) => void transcript.push(`close:${code}`));
    const s = await open(app, true);
    s.events.message("a", false);
    for (let i = 0; i < 5; i++) s.events.message("x".repeat(100), false);
    expect(s.flow).toEqual(["pause"]);
    fail(new Error("bug"));
    await settle();
    expect(s.flow).toEqual(["pause", "resume"]);
    s.events.message("after", false);
    await settle();
    expect(transcript).toEqual(["a", "error:1011", "close:1011"]);
  });

  it("a failure while paused runs onerror and sends its code even when resuming reports the peer's close at once", async () => {
    const app = new Rookery({ logger: () => {}, maxBacklog: 500 });
    const transcript: string[] = [];
    app
      .ws("/gated")
      .onmessage(() => new Promise<void>(() => {}))
      .onerror((_c, error) => void transcript.push(`error:${error.code}`))
      .onclose((_c, _reason, code) => void transcript.push(`close:${code}`));
    const result = await connect(app, upgradeRequest("/gated"), { pausable: true, echoClose: false });
    if (!("socket" in result)) throw new Error("not upgraded");
    await settle();
    const s = result.socket;
    s.events.message("a", false);
    for (let i = 0; i < 5; i++) s.events.message("x".repeat(100), false);
    expect(s.flow).toEqual(["pause"]);
    // Resuming hands the codec's held bytes over, and they held the peer's close frame.
    s.onResume = () => s.events.closed(1000, "bye");
    s.events.fail({ kind: "protocol", code: 1008, detail: "send buffer over the bound" });
    await settle();
    expect(s.serverClose?.code).toBe(1008);
    expect(transcript).toEqual([]); // the stuck handler holds back onerror and onclose, in order
  });

  it("a queued view over a large buffer waits as a copy, so the backlog counts what is kept", async () => {
    const app = new Rookery({ logger: () => {} });
    const kept: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    app.ws("/gated").onmessage((_c, m) => {
      kept.push((m as Uint8Array).buffer.byteLength);
      return gate;
    });
    const s = await open(app, true);
    const read = new Uint8Array(64 * 1024); // one socket read holding many frames
    s.events.message(read.subarray(0, 10), true); // handled at once: not copied
    s.events.message(read.subarray(10, 20), true); // waits: copied
    release();
    await settle();
    expect(kept).toEqual([64 * 1024, 10]);
  });

  it("a queued view is copied only when its buffer is more than twice its size plus 1 KiB", async () => {
    const app = new Rookery({ logger: () => {} });
    const kept: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    app.ws("/gated").onmessage((_c, m) => {
      kept.push(typeof m === "string" ? -1 : m.buffer.byteLength);
      return gate;
    });
    const s = await open(app, true);
    s.events.message("first", false);
    s.events.message(new Uint8Array(3072).subarray(0, 1024), true); // exactly 2 x 1024 + 1024: kept as is
    s.events.message(new Uint8Array(3073).subarray(0, 1024), true); // one byte more: copied
    s.events.message("text is never copied", false);
    release();
    await settle();
    expect(kept).toEqual([-1, 3072, 1024, -1]);
  });

  it("Infinity turns it off", async () => {
    const g = gatedApp({ app: Infinity });
    const s = await open(g.app, true);
    s.events.message("first", false);
    for (let i = 0; i < 100; i++) s.events.message(new Uint8Array(1 << 20), true);
    expect(s.flow).toEqual([]);
  });
});

describe("maxBacklog where the port cannot pause (Deno's and Bun's sockets)", () => {
  it("fails with 1008 once past the bound; what waited before is still delivered", async () => {
    const g = gatedApp({ app: 1000 });
    const s = await open(g.app, false);
    s.events.message("first", false);
    for (let i = 0; i < 4; i++) s.events.message(costing(250), true);
    expect(s.serverClose).toBeUndefined();
    s.events.message(costing(250), true);
    expect(s.serverClose?.code).toBe(1008);
    expect(s.serverClose?.reason).toMatch(/More than 1000 bytes received and not yet handled/);
    s.events.message("ignored", false);
    g.state.gated = false;
    g.release();
    await settle();
    expect(g.transcript).toEqual([
      "open",
      "message:text:first",
      ...Array(4).fill(`message:binary:${250 - QUEUED_MESSAGE_OVERHEAD}`),
      "error:1008:PolicyViolationError",
      `close:1008:${s.serverClose!.reason}`,
    ]);
  });

  it("the route's bound overrides the app's, and the default is 1 MiB", async () => {
    const route = gatedApp({ app: 100, route: 1_000_000 });
    const s1 = await open(route.app, false);
    s1.events.message("first", false);
    for (let i = 0; i < 900; i++) s1.events.message(costing(1000), true);
    expect(s1.serverClose).toBeUndefined();
    s1.events.message(costing(100_001), true);
    expect(s1.serverClose?.code).toBe(1008);

    const byDefault = gatedApp();
    const s2 = await open(byDefault.app, false);
    s2.events.message("first", false);
    for (let i = 0; i < 1024; i++) s2.events.message(costing(1024), true);
    expect(s2.serverClose).toBeUndefined();
    s2.events.message(costing(QUEUED_MESSAGE_OVERHEAD + 1), true);
    expect(s2.serverClose?.code).toBe(1008);
  });

  it("messages handled synchronously never wait, so they never count", async () => {
    const g = gatedApp({ app: 0 });
    g.state.gated = false;
    const s = await open(g.app, false);
    for (let i = 0; i < 1000; i++) s.events.message(new Uint8Array(1000), true);
    expect(s.serverClose).toBeUndefined();
    expect(g.transcript.length).toBe(1001);
  });
});

describe("maxBacklog validation", () => {
  it.each([-1, 1.5, Number.NaN])("rejects %s on the app and on a route", (bad) => {
    expect(() => new Rookery({ maxBacklog: bad })).toThrow(RangeError);
    expect(() => new Rookery().ws("/x").maxBacklog(bad)).toThrow(/maxBacklog of route \/x/);
  });
});
