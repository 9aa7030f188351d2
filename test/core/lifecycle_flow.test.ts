/**
 * Flow control in the driver, both ways: the send buffer (bufferedAmount, backpressure, ondrain,
 * the slow-reader bound) and reading (pause and resume around the backlog bound).
 */
import { describe, expect, it } from "vitest";
import { Rookery, type RookeryOptions } from "../../mod.ts";
import { QUEUED_MESSAGE_OVERHEAD } from "../../src/backlog.ts";
import { openConnection } from "../../src/lifecycle.ts";
import type { SocketPort } from "../../src/socket_port.ts";
import { decideUpgrade } from "../../src/upgrade.ts";
import { connect, type MemorySocket, settle, upgradeRequest } from "../support/memory_transport.ts";

/**
 * `/f`: onmessage sends an echo and, while `gated`, waits for `release()`; ondrain and onerror
 * are logged.
 */
function flowApp(options: RookeryOptions = {}) {
  const app = new Rookery({ logger: () => {}, ...options });
  const log: string[] = [];
  const state = { gated: false };
  let release: () => void = () => {};
  app
    .ws("/f")
    .onmessage((conn, message) => {
      log.push(typeof message === "string" ? `msg:${message}` : `bin:${message.byteLength}`);
      conn.send("echo");
      if (!state.gated) return;
      return new Promise<void>((resolve) => (release = resolve));
    })
    .ondrain(() => void log.push("drain"))
    .onerror((_c, error) => void log.push(`error:${error.code}`));
  return { app, log, state, release: () => release() };
}

async function open(app: Rookery, options: Parameters<typeof connect>[2] = {}): Promise<MemorySocket> {
  const result = await connect(app, upgradeRequest("/f"), options);
  if (!("socket" in result)) throw new Error(`not upgraded: ${result.response.status}`);
  await settle();
  return result.socket;
}

/** A binary message whose backlog cost is exactly `cost` bytes. */
const costing = (cost: number) => new Uint8Array(cost - QUEUED_MESSAGE_OVERHEAD);

describe("the send buffer", () => {
  it("conn.bufferedAmount is what the runtime reports", async () => {
    const s = await open(flowApp().app);
    s.buffered = 1234;
    expect(s.connection.bufferedAmount).toBe(1234);
  });

  it("ondrain does not run after sends that were not backpressured", async () => {
    const f = flowApp();
    const s = await open(f.app, { sendStatus: "sent" });
    s.events.message("x", false);
    s.events.drain();
    await settle();
    expect(f.log).toEqual(["msg:x"]);
  });

  it("ondrain does not run once the connection is closing", async () => {
    const f = flowApp();
    const s = await open(f.app, { sendStatus: "backpressure", echoClose: false });
    s.events.message("x", false);
    s.connection.close(1000, "bye");
    s.events.drain();
    await settle();
    expect(f.log).toEqual(["msg:x"]);
  });

  it("with a bound of 64 KiB or more, the buffer is asked for only after a backpressured send", async () => {
    for (const maxBufferedAmount of [64 * 1024, undefined]) {
      const calm = await open(flowApp({ maxBufferedAmount }).app, { sendStatus: "sent" });
      for (let i = 0; i < 3; i++) calm.connection.send("x");
      expect(calm.bufferedReads).toBe(0);
    }
    const pushed = await open(flowApp().app, { sendStatus: "backpressure" });
    pushed.connection.send("1"); // nothing asked: the previous send was not backpressured
    pushed.connection.send("2"); // asked
    pushed.events.drain();
    pushed.connection.send("3"); // the drain ended the episode: not asked
    expect(pushed.bufferedReads).toBe(1);
  });

  it("with a bound under 64 KiB, every send asks the buffer", async () => {
    const s = await open(flowApp({ maxBufferedAmount: 64 * 1024 - 1 }).app, { sendStatus: "sent" });
    for (let i = 0; i < 3; i++) s.connection.send("x");
    expect(s.bufferedReads).toBe(3);
  });

  it("a slow reader's 1008 close says which bound it passed", async () => {
    const f = flowApp({ maxBufferedAmount: 1000 });
    const s = await open(f.app);
    s.buffered = 1001;
    expect(s.connection.send("x")).toBe("dropped");
    expect(s.serverClose?.code).toBe(1008);
    expect(s.serverClose?.reason).toMatch(/over 1000 bytes/);
  });
});

describe("reading, around the backlog bound", () => {
  /** Fills the backlog of a pausable socket past `maxBacklog: 1000` behind a pending handler. */
  async function pausedSocket() {
    const f = flowApp({ maxBacklog: 1000 });
    f.state.gated = true;
    const s = await open(f.app, { pausable: true });
    s.events.message("first", false);
    for (let i = 0; i < 5; i++) s.events.message(costing(250), true);
    expect(s.flow).toEqual(["pause"]);
    return { f, s };
  }

  it("a failure the adapter reports while reading is paused resumes reading at once", async () => {
    const { s } = await pausedSocket();
    s.events.fail({ kind: "protocol", code: 1002, detail: "bad frame" });
    expect(s.flow).toEqual(["pause", "resume"]);
  });

  it("resume is asked for only after a pause", async () => {
    const f = flowApp({ maxBacklog: 1000 });
    const s = await open(f.app, { pausable: true });
    s.events.message("x", false);
    s.events.fail({ kind: "protocol", code: 1002, detail: "bad frame" });
    await settle();
    expect(f.log).toEqual(["msg:x", "error:1002"]);
    expect(s.flow).toEqual([]);
  });

  it("a port that can pause but not resume is paused, and a failure then does not throw", async () => {
    const f = flowApp({ maxBacklog: 1000 });
    f.state.gated = true;
    const decision = await decideUpgrade(f.app, upgradeRequest("/f"));
    if (decision.kind !== "accept") throw new Error("not accepted");
    const flow: string[] = [];
    const port: SocketPort = {
      send: () => "sent",
      close: (code) => void flow.push(`close:${code}`),
      bufferedAmount: 0,
      pause: () => void flow.push("pause"),
      terminate: () => {},
    };
    const { events } = openConnection(f.app, decision.acceptance, port);
    events.open();
    await settle();
    events.message("first", false);
    for (let i = 0; i < 5; i++) events.message(costing(250), true);
    expect(() => events.fail({ kind: "protocol", code: 1002, detail: "bad frame" })).not.toThrow();
    expect(flow).toEqual(["pause", "close:1002"]);
  });

  it("the bound still holds after an ondrain taken from the queue", async () => {
    const f = flowApp({ maxBacklog: 1000 });
    f.state.gated = true;
    const s = await open(f.app, { pausable: true, sendStatus: "backpressure" });
    s.events.message("first", false);
    s.events.drain(); // waits behind "first"
    f.release();
    await settle();
    expect(f.log).toEqual(["msg:first", "drain"]);
    s.events.message("second", false);
    for (let i = 0; i < 4; i++) s.events.message(costing(250), true);
    expect(s.flow).toEqual([]);
    s.events.message(costing(250), true);
    expect(s.flow).toEqual(["pause"]);
  });
});
