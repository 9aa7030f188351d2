/** `conn.ping`, `onpong` and `conn.terminate` in the core, over the in-memory transport. */
import { describe, expect, it } from "vitest";
import { Rookery } from "../../mod.ts";
import { connect, type MemorySocket, settle, upgradeRequest } from "../support/memory_transport.ts";

async function open(app: Rookery): Promise<MemorySocket> {
  const result = await connect(app, upgradeRequest("/h"));
  if (!("socket" in result)) throw new Error(`not upgraded: ${result.response.status}`);
  await settle();
  return result.socket;
}

const bytes = (...b: number[]) => Uint8Array.from(b);

describe("conn.ping", () => {
  it("sends the payload through the port (a string as UTF-8) and returns its status", async () => {
    const app = new Rookery({ logger: () => {} });
    app.ws("/h");
    const s = await open(app);
    expect(s.connection.ping()).toBe("sent");
    expect(s.connection.ping("é")).toBe("sent");
    expect(s.connection.ping(bytes(1, 2))).toBe("sent");
    expect(s.pings.map((p) => [...p])).toEqual([[], [0xc3, 0xa9], [1, 2]]);
  });

  it("125 bytes at most (RFC 6455 §5.5): one more is a RangeError, and nothing is sent", async () => {
    const app = new Rookery({ logger: () => {} });
    app.ws("/h");
    const s = await open(app);
    expect(s.connection.ping(new Uint8Array(125))).toBe("sent");
    expect(() => s.connection.ping(new Uint8Array(126))).toThrow(RangeError);
    expect(() => s.connection.ping("é".repeat(63))).toThrow("at most 125 bytes, got 126");
    expect(s.pings).toHaveLength(1);
  });

  it("once closing, a ping is dropped", async () => {
    const app = new Rookery({ logger: () => {} });
    app.ws("/h");
    const s = await open(app);
    s.connection.close();
    expect(s.connection.ping("late")).toBe("dropped");
    expect(s.pings).toEqual([]);
  });
});

describe("onpong", () => {
  it("runs in order with the messages", async () => {
    const seen: string[] = [];
    const app = new Rookery({ logger: () => {} });
    app
      .ws("/h")
      .onmessage((_c, m) => void seen.push(`message:${m as string}`))
      .onpong((_c, data) => void seen.push(`pong:${data.join(",")}`));
    const s = await open(app);
    s.events.message("a", false);
    s.events.pong(bytes(1));
    s.events.message("b", false);
    await settle();
    expect(seen).toEqual(["message:a", "pong:1", "message:b"]);
  });

  it("while a handler is pending, only the latest pong waits: a pong flood costs one payload", async () => {
    const seen: string[] = [];
    let release!: () => void;
    const app = new Rookery({ logger: () => {} });
    app
      .ws("/h")
      .onmessage(() => new Promise<void>((r) => (release = r)))
      .onpong((_c, data) => void seen.push(`pong:${data.join(",")}`));
    const s = await open(app);
    s.events.message("slow", false);
    const view = bytes(9, 9, 9);
    for (let i = 0; i < 1000; i++) s.events.pong(bytes(i & 0xff));
    s.events.pong(view);
    // The waiting payload is a copy: the socket's buffer it came in may be reused.
    view.fill(0);
    release();
    await settle();
    expect(seen).toEqual(["pong:9,9,9"]);
  });

  it("a route without onpong ignores pongs; after a failure, waiting pongs are not delivered", async () => {
    const seen: string[] = [];
    const app = new Rookery({ logger: () => {} });
    app.ws("/none");
    app
      .ws("/h")
      .onmessage((_c, m) => {
        if (m === "throw") throw new Error("bug");
        return new Promise<void>((r) => setTimeout(r, 5));
      })
      .onpong(() => void seen.push("pong"))
      .onerror((_c, e) => void seen.push(`error:${e.code}`));
    const quiet = await connect(app, upgradeRequest("/none"));
    if ("socket" in quiet) quiet.socket.events.pong(bytes(1));
    const s = await open(app);
    s.events.message("throw", false);
    s.events.pong(bytes(2));
    await settle(20);
    expect(seen).toEqual(["error:1011"]);
  });
});

describe("conn.terminate", () => {
  it("drops the connection: onclose with 1006 and no reason, no onerror, and the port was told", async () => {
    const seen: string[] = [];
    const app = new Rookery({ logger: () => {} });
    app
      .ws("/h")
      .onerror((_c, e) => void seen.push(`error:${e.code}`))
      .onclose((_c, reason, code) => void seen.push(`close:${code}:${reason}`));
    const s = await open(app);
    s.connection.terminate();
    s.connection.terminate();
    await settle();
    expect(s.terminated).toBe(true);
    expect(seen).toEqual(["close:1006:"]);
    expect(s.connection.readyState).toBe(3);
    // After onclose it does nothing.
    s.connection.terminate();
    expect(seen).toEqual(["close:1006:"]);
  });

  it("during a close the server started, it still ends as 1006: the handshake was abandoned", async () => {
    const seen: string[] = [];
    const app = new Rookery({ logger: () => {} });
    app.ws("/h").onclose((_c, reason, code) => void seen.push(`close:${code}:${reason}`));
    const result = await connect(app, upgradeRequest("/h"), { echoClose: false });
    if (!("socket" in result)) throw new Error("not upgraded");
    await settle();
    result.socket.connection.close(4000, "bye");
    result.socket.connection.terminate();
    await settle();
    expect(seen).toEqual(["close:1006:"]);
  });
});

describe("conn.ping and the send-buffer bound", () => {
  it("past maxBufferedAmount a ping is dropped, as a send is, and never reaches the port", async () => {
    const app = new Rookery({ logger: () => {}, maxBufferedAmount: 1000, slowReader: "drop" });
    app.ws("/h");
    const result = await connect(app, upgradeRequest("/h"), { sendStatus: "backpressure" });
    if (!("socket" in result)) throw new Error("not upgraded");
    await settle();
    const s = result.socket;
    s.buffered = 500;
    // Under the bound it reaches the port, which answers as it does for sends.
    expect(s.connection.ping("under")).toBe("backpressure");
    s.buffered = 5000;
    expect(s.connection.send("over")).toBe("dropped");
    expect(s.connection.ping("over")).toBe("dropped");
    expect(s.pings.map((p) => new TextDecoder().decode(p))).toEqual(["under"]);
  });
});

describe("pongs and drains at the edges", () => {
  /** An app whose onmessage waits for `release()` when the message is "hold". */
  function gatedApp(seen: string[]) {
    let release: () => void = () => {};
    const app = new Rookery({ logger: () => {} });
    app
      .ws("/h")
      .onmessage((_c, m) => {
        seen.push(`message:${m as string}`);
        if (m === "hold") return new Promise<void>((r) => (release = r));
        if (m === "throw") throw new Error("handler bug");
      })
      .onpong((_c, data) => void seen.push(`pong:${data.join(",")}`))
      .ondrain(() => void seen.push("drain"));
    return { app, release: () => release() };
  }

  it("a pong waiting behind a handler keeps its own bytes, and after it ran the next one waits anew", async () => {
    const seen: string[] = [];
    const { app, release } = gatedApp(seen);
    const s = await open(app);
    s.events.message("hold", false);
    const view = bytes(1, 2);
    s.events.pong(view);
    view[0] = 9; // the socket's buffer is reused for later reads
    release();
    await settle();
    expect(seen).toEqual(["message:hold", "pong:1,2"]);
    seen.length = 0;
    s.events.message("hold", false);
    s.events.pong(bytes(0));
    s.events.pong(bytes(3)); // a later pong replaces the one waiting
    release();
    await settle();
    s.events.message("hold", false);
    s.events.pong(bytes(4));
    release();
    await settle();
    expect(seen).toEqual(["message:hold", "pong:3", "message:hold", "pong:4"]);
    s.events.message("hold", false);
    s.events.pong(bytes(5, 6));
    release();
    await settle();
    expect(seen.at(-1)).toBe("pong:5,6");
  });

  it("no pong after a failure or the close, including one queued before the failure", async () => {
    const seen: string[] = [];
    const { app } = gatedApp(seen);
    const failing = await open(app);
    failing.events.message("throw", false);
    failing.events.pong(bytes(1));
    await settle();
    const closed = await open(app);
    closed.events.closed(1000, "");
    closed.events.pong(bytes(2));
    await settle();
    expect(seen).toEqual(["message:throw"]);

    // Queued behind a handler whose promise then rejects: dropped with the messages.
    const rejecting = new Rookery({ logger: () => {} });
    const order: string[] = [];
    let fail: (e: Error) => void = () => {};
    rejecting
      .ws("/h")
      .onmessage(() => new Promise<void>((_r, reject) => (fail = reject)))
      .onpong(() => void order.push("pong"))
      .onerror(() => void order.push("error"))
      .onclose(() => void order.push("close"));
    const s = await open(rejecting);
    s.events.message("x", false);
    s.events.pong(bytes(7));
    fail(new Error("late bug"));
    await settle();
    expect(order).toEqual(["error", "close"]);
  });

  it("a ping the port backpressures is followed by one ondrain, however often the runtime signals it; none without backpressure", async () => {
    const seen: string[] = [];
    const { app } = gatedApp(seen);
    const quiet = await open(app);
    quiet.events.drain();
    await settle();
    expect(seen).toEqual([]);
    const result = await connect(app, upgradeRequest("/h"), { sendStatus: "backpressure" });
    if (!("socket" in result)) throw new Error("not upgraded");
    await settle();
    expect(result.socket.connection.ping()).toBe("backpressure");
    result.socket.events.drain();
    result.socket.events.drain();
    await settle();
    expect(seen).toEqual(["drain"]);
  });

  it("a pong queued behind a handler is not delivered once the protocol failed meanwhile", async () => {
    const seen: string[] = [];
    const { app, release } = gatedApp(seen);
    const s = await open(app);
    s.events.message("hold", false);
    s.events.pong(bytes(1));
    s.events.fail({ kind: "protocol", code: 1002, detail: "bad frame" });
    release();
    await settle();
    expect(seen).toEqual(["message:hold"]);
    // Nor does it hold back what follows: onclose ran (a connection is registered until then).
    expect(app.connections.size).toBe(0);
  });

  it("ondrain follows only a backpressured send or ping of an open connection", async () => {
    const seen: string[] = [];
    const { app } = gatedApp(seen);
    // A ping the port took at once: a drain signal then is no episode's end.
    const sent = await open(app);
    expect(sent.connection.ping()).toBe("sent");
    sent.events.drain();
    // Backpressured, then closed or failed before the drain: nothing to resume.
    for (const end of ["close", "fail"] as const) {
      const result = await connect(app, upgradeRequest("/h"), { sendStatus: "backpressure" });
      if (!("socket" in result)) throw new Error("not upgraded");
      await settle();
      expect(result.socket.connection.ping()).toBe("backpressure");
      if (end === "close") result.socket.connection.close();
      else result.socket.events.fail({ kind: "protocol", code: 1002, detail: "bad frame" });
      result.socket.events.drain();
    }
    await settle();
    expect(seen).toEqual([]);
  });

  it("terminate reaches the port once, and not at all once the connection is closed", async () => {
    const app = new Rookery({ logger: () => {} });
    app.ws("/h");
    const s = await open(app);
    s.connection.terminate();
    s.connection.terminate();
    const closed = await open(app);
    closed.events.closed(1000, "");
    await settle();
    closed.connection.terminate();
    expect([s.terminations, closed.terminations]).toEqual([1, 0]);
  });
});
