/**
 * How the driver treats what handlers are and what they return: missing handlers are skipped,
 * any thenable is waited for, anything else is ignored, and a throw is reported under the
 * handler's name.
 */
import { describe, expect, it } from "vitest";
import { Rookery } from "../../mod.ts";
import type { WebSocketError } from "../../src/errors.ts";
import { connect, type MemorySocket, settle, upgradeRequest } from "../support/memory_transport.ts";
import { recordingApp } from "../support/recording_app.ts";

async function open(app: Rookery, path: string, options: Parameters<typeof connect>[2] = {}): Promise<MemorySocket> {
  const result = await connect(app, upgradeRequest(path), options);
  if (!("socket" in result)) throw new Error(`not upgraded: ${result.response.status}`);
  await settle();
  return result.socket;
}

function loggingApp(): { app: Rookery; logged: string[] } {
  const logged: string[] = [];
  return { app: new Rookery({ logger: (message) => void logged.push(message) }), logged };
}

describe("handlers a route leaves out", () => {
  it("messages, failures and closes without a handler for them are skipped: no 1011, nothing logged", async () => {
    const { app, logged } = loggingApp();
    let openDone!: () => void;
    app.ws("/bare").onopen(() => new Promise<void>((resolve) => (openDone = resolve)));
    const s = await open(app, "/bare", { echoClose: false });
    s.events.message("waits behind onopen", false);
    openDone();
    await settle();
    s.events.message("arrives when idle", false);
    await settle();
    expect(s.serverClose).toBeUndefined();
    s.events.fail({ kind: "protocol", code: 1002, detail: "bad frame" });
    s.finishClose();
    await settle();
    expect(s.serverClose).toEqual({ code: 1002, reason: "bad frame" });
    expect(s.connection.readyState).toBe(3);
    expect(logged).toEqual([]);
  });
});

describe("a handler that throws", () => {
  it("in onmessage for a message that waited in the queue: onerror is told which handler threw", async () => {
    const { app } = loggingApp();
    const errors: WebSocketError[] = [];
    let openDone!: () => void;
    app
      .ws("/q")
      .onopen(() => new Promise<void>((resolve) => (openDone = resolve)))
      .onmessage(() => {
        throw new Error("boom");
      })
      .onerror((_c, error) => void errors.push(error));
    const s = await open(app, "/q");
    s.events.message("queued", false);
    openDone();
    await settle();
    expect(errors.map((e) => [e.code, e.message])).toEqual([[1011, "onmessage handler threw: boom"]]);
    expect(s.serverClose).toEqual({ code: 1011, reason: "internal error" });
  });

  it("in ondrain: the connection fails with 1011 and onerror is told it was ondrain", async () => {
    const { app } = loggingApp();
    const errors: WebSocketError[] = [];
    app
      .ws("/d")
      .onmessage((conn) => void conn.send("reply"))
      .ondrain(() => {
        throw new Error("boom");
      })
      .onerror((_c, error) => void errors.push(error));
    const s = await open(app, "/d", { sendStatus: "backpressure" });
    s.events.message("x", false);
    s.events.drain();
    await settle();
    expect(errors.map((e) => [e.code, e.message])).toEqual([[1011, "ondrain handler threw: boom"]]);
    expect(s.serverClose).toEqual({ code: 1011, reason: "internal error" });
  });

  it.each(["sync", "async"] as const)("%s in onerror: logged with the handler's name and the URL", async (mode) => {
    const rec = recordingApp({}, { handler: "onerror", mode });
    const s = await open(rec.app, "/rec");
    s.events.fail({ kind: "protocol", code: 1002, detail: "bad" });
    await settle();
    expect(rec.logged).toEqual(["onerror handler threw on http://127.0.0.1/rec"]);
    expect(rec.transcript).toEqual(["open", "error:1002:ProtocolError", "close:1002:bad"]);
  });

  it.each(["sync", "async"] as const)("%s in onclose after a clean close: only logged, no onerror follows", async (mode) => {
    const rec = recordingApp({}, { handler: "onclose", mode });
    const s = await open(rec.app, "/rec");
    s.events.closed(1000, "bye");
    await settle();
    expect(rec.transcript).toEqual(["open", "close:1000:bye"]);
    expect(rec.logged).toEqual(["onclose handler threw on http://127.0.0.1/rec"]);
    expect(s.serverClose).toBeUndefined();
  });
});

describe("what a handler returns", () => {
  it("a value that is not a thenable (null, an object, a number, a string) is ignored", async () => {
    const { app, logged } = loggingApp();
    const seen: string[] = [];
    const returns: Record<string, unknown> = { null: null, object: { then: 1 }, plain: {}, number: 42, string: "done" };
    app
      .ws("/r")
      .onmessage((_c, message) => {
        seen.push(message as string);
        return returns[message as string];
      })
      .onerror((_c, error) => void seen.push(`error:${error.code}`));
    const s = await open(app, "/r");
    for (const kind of Object.keys(returns)) s.events.message(kind, false);
    await settle();
    expect(seen).toEqual(Object.keys(returns));
    expect(s.serverClose).toBeUndefined();
    expect(logged).toEqual([]);
  });

  it("a callable thenable is waited for, like any promise", async () => {
    const { app } = loggingApp();
    const seen: string[] = [];
    let finish!: () => void;
    const thenable = Object.assign(() => {}, {
      then(onFulfilled: () => void) {
        finish = onFulfilled;
      },
    });
    app.ws("/t").onmessage((_c, message) => {
      seen.push(message as string);
      if (message === "first") return thenable;
    });
    const s = await open(app, "/t");
    s.events.message("first", false);
    s.events.message("second", false);
    await settle();
    expect(seen).toEqual(["first"]);
    finish();
    await settle();
    expect(seen).toEqual(["first", "second"]);
  });
});

describe("a connection dropped without a close frame", () => {
  it("gives onerror a ConnectionLostError that says so", async () => {
    const rec = recordingApp();
    const s = await open(rec.app, "/rec");
    s.events.closed(1006, "");
    await settle();
    expect(rec.errors.map((e) => [e.code, e.name])).toEqual([[1006, "ConnectionLostError"]]);
    expect(rec.errors[0]!.message).toMatch(/ended without a close frame/);
  });
});

describe("a handler that throws on a route without onerror", () => {
  it.each(["sync", "async"] as const)("%s: the app's logger gets the handler, the URL and the error; with onerror, only onerror sees it", async (mode) => {
    const { app, logged } = loggingApp();
    const errors: unknown[] = [];
    const bug = new Error("a bug in onmessage");
    const fail = () => (mode === "sync" ? (() => { throw bug; })() : Promise.reject(bug));
    app.ws("/bare").onmessage(fail);
    app.ws("/handled").onmessage(fail).onerror((_c, e) => void errors.push(e.cause));
    const bare = await open(app, "/bare");
    bare.events.message("x", false);
    await settle();
    expect(logged).toEqual(["onmessage handler threw on http://127.0.0.1/bare (no onerror on this route)"]);
    expect(bare.serverClose?.code).toBe(1011);
    const handled = await open(app, "/handled");
    handled.events.message("x", false);
    await settle();
    expect(logged).toHaveLength(1);
    expect(errors).toEqual([bug]);
  });
});
