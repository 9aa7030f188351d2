import { describe, expect, it } from "vitest";
import { connect, type MemorySocket, settle, upgradeRequest } from "../support/memory_transport.ts";
import { recordingApp, type Throwing } from "../support/recording_app.ts";

async function open(rec: ReturnType<typeof recordingApp>, options?: Parameters<typeof connect>[2]): Promise<MemorySocket> {
  const result = await connect(rec.app, upgradeRequest("/rec"), options);
  if (!("socket" in result)) throw new Error(`not upgraded: ${result.response.status}`);
  await settle();
  return result.socket;
}

describe("ways a connection ends: exact transcripts", () => {
  const cases: {
    name: string;
    act: (s: MemorySocket) => void;
    transcript: string[];
    serverClose?: { code: number; reason: string };
  }[] = [
    {
      name: "client close with code and reason",
      act: (s) => {
        s.events.message("hi", false);
        s.events.closed(1000, "bye");
      },
      transcript: ["open", "message:text:hi", "close:1000:bye"],
    },
    {
      name: "client close without a code reports 1005",
      act: (s) => s.events.closed(1005, ""),
      transcript: ["open", "close:1005:"],
    },
    {
      name: "server close reports what the server sent, not the echo",
      act: (s) => s.events.message("close", false),
      transcript: ["open", "message:text:close", "close:4000:done"],
      serverClose: { code: 4000, reason: "done" },
    },
    {
      name: "protocol error reported by the adapter",
      act: (s) => {
        s.events.message("before", false);
        s.events.fail({ kind: "protocol", code: 1002, detail: "unmasked frame" });
      },
      transcript: ["open", "message:text:before", "error:1002:ProtocolError", "close:1002:unmasked frame"],
      serverClose: { code: 1002, reason: "unmasked frame" },
    },
    {
      name: "invalid UTF-8 reported by the adapter",
      act: (s) => s.events.fail({ kind: "protocol", code: 1007, detail: "invalid UTF-8" }),
      transcript: ["open", "error:1007:InvalidPayloadError", "close:1007:invalid UTF-8"],
      serverClose: { code: 1007, reason: "invalid UTF-8" },
    },
    {
      name: "abrupt drop without a close frame: 1006 error then close",
      act: (s) => s.events.closed(1006, ""),
      transcript: ["open", "error:1006:ConnectionLostError", "close:1006:"],
    },
    {
      name: "transport lost reported as a failure, then closed",
      act: (s) => {
        s.events.fail({ kind: "lost", detail: "ECONNRESET" });
        s.events.closed(1006, "");
      },
      transcript: ["open", "error:1006:ConnectionLostError", "close:1006:"],
    },
  ];

  it.each(cases)("$name", async ({ act, transcript, serverClose }) => {
    const rec = recordingApp();
    const s = await open(rec);
    act(s);
    await settle();
    expect(rec.transcript).toEqual(transcript);
    expect(s.serverClose).toEqual(serverClose);
    expect(s.connection.readyState).toBe(3);
  });
});



describe("a handler that throws or rejects fails the connection with 1011", () => {
  const cases: { handler: Throwing; mode: "sync" | "async"; transcript: string[]; serverClose?: number; logs: number }[] = [];
  for (const mode of ["sync", "async"] as const) {
    cases.push(
      {
        handler: "onopen",
        mode,
        transcript: ["open", "error:1011:HandlerError", "close:1011:internal error"],
        serverClose: 1011,
        logs: 0,
      },
      {
        handler: "onmessage",
        mode,
        transcript: ["open", "message:text:one", "error:1011:HandlerError", "close:1011:internal error"],
        serverClose: 1011,
        logs: 0,
      },
      {
        handler: "onerror",
        mode,
        transcript: ["open", "message:text:one", "message:text:two", "error:1002:ProtocolError", "close:1002:bad"],
        serverClose: 1002,
        logs: 1,
      },
      {
        handler: "onclose",
        mode,
        transcript: ["open", "message:text:one", "message:text:two", "error:1002:ProtocolError", "close:1002:bad"],
        serverClose: 1002,
        logs: 1,
      },
    );
  }

  it.each(cases)("$mode throw in $handler", async ({ handler, mode, transcript, serverClose, logs }) => {
    const rec = recordingApp({}, { handler, mode });
    const s = await open(rec);
    // Two messages: the second must never reach a handler that already failed.
    s.events.message("one", false);
    s.events.message("two", false);
    if (handler === "onerror" || handler === "onclose") s.events.fail({ kind: "protocol", code: 1002, detail: "bad" });
    await settle(5);
    expect(rec.transcript).toEqual(transcript);
    expect(s.serverClose?.code).toBe(serverClose);
    expect(rec.logged).toHaveLength(logs);
    if (handler === "onopen" || handler === "onmessage") {
      expect(rec.errors[0]?.message).toBe(`${handler} handler threw: boom in ${handler}`);
      expect(rec.errors[0]?.cause).toBeInstanceOf(Error);
    }
  });
});

describe("ordering guarantees", () => {
  it("async onopen holds back messages, which then arrive in order", async () => {
    const { Rookery } = await import("../../mod.ts");
    const app = new Rookery();
    const seen: string[] = [];
    let release!: () => void;
    app
      .ws("/rec")
      .onopen(async () => {
        seen.push("open:start");
        await new Promise<void>((r) => (release = r));
        seen.push("open:end");
      })
      .onmessage(async (_c, m) => {
        seen.push(`msg:${m as string}`);
        await settle(1);
        seen.push(`msg-done:${m as string}`);
      })
      .onclose(() => void seen.push("close"));
    const result = await connect(app, upgradeRequest("/rec"));
    if (!("socket" in result)) throw new Error("not upgraded");
    await settle();
    result.socket.events.message("a", false);
    result.socket.events.message("b", false);
    result.socket.events.closed(1000, "");
    await settle(5);
    expect(seen).toEqual(["open:start"]);
    release();
    await settle(20);
    expect(seen).toEqual(["open:start", "open:end", "msg:a", "msg-done:a", "msg:b", "msg-done:b", "close"]);
  });

  it("onerror runs at most once and nothing runs after onclose", async () => {
    const rec = recordingApp();
    const s = await open(rec);
    s.events.fail({ kind: "protocol", code: 1002, detail: "first" });
    s.events.fail({ kind: "protocol", code: 1007, detail: "second" });
    s.events.closed(1002, "first");
    s.events.closed(1000, "again");
    s.events.message("late", false);
    await settle();
    expect(rec.transcript).toEqual(["open", "error:1002:ProtocolError", "close:1002:first"]);
  });

  it("after close, send returns dropped and close is a no-op", async () => {
    const rec = recordingApp();
    const s = await open(rec);
    expect(s.connection.send("x")).toBe("sent");
    s.events.closed(1000, "");
    await settle();
    expect(s.connection.send("y")).toBe("dropped");
    expect(() => s.connection.close()).not.toThrow();
    expect(s.sent).toEqual(["x"]);
    expect(s.serverClose).toBeUndefined();
  });

  it("while closing, send is dropped and readyState is CLOSING", async () => {
    const rec = recordingApp();
    const s = await open(rec, { echoClose: false });
    s.connection.close(1000, "bye");
    expect(s.connection.readyState).toBe(2);
    expect(s.connection.send("x")).toBe("dropped");
    s.finishClose();
    await settle();
    expect(rec.transcript).toEqual(["open", "close:1000:bye"]);
  });

  it("the adapter's send status is passed through", async () => {
    const rec = recordingApp();
    const s = await open(rec, { sendStatus: "backpressure" });
    expect(s.connection.send("x")).toBe("backpressure");
  });

  it("the same Connection object is seen by every handler", async () => {
    const { Rookery } = await import("../../mod.ts");
    const app = new Rookery();
    const seen = new Set<unknown>();
    app
      .ws("/rec")
      .onopen((c) => void seen.add(c))
      .onmessage((c) => void seen.add(c))
      .onerror((c) => void seen.add(c))
      .onclose((c) => void seen.add(c));
    const result = await connect(app, upgradeRequest("/rec"));
    if (!("socket" in result)) throw new Error("not upgraded");
    await settle();
    result.socket.events.message("a", false);
    result.socket.events.closed(1006, "");
    await settle();
    expect([...seen]).toEqual([result.socket.connection]);
  });
});

describe("failures arriving while a handler is pending", () => {
  /** `/p`: every onmessage returns a promise the test settles through `settleNext`. */
  async function pendingApp() {
    const { Rookery } = await import("../../mod.ts");
    const app = new Rookery({ logger: () => {} });
    const seen: string[] = [];
    const pending: { resolve: () => void; reject: (e: Error) => void }[] = [];
    app
      .ws("/p")
      .onmessage((_c, m) => {
        seen.push(`msg:${m as string}`);
        return new Promise<void>((resolve, reject) => pending.push({ resolve, reject }));
      })
      .onerror((_c, e) => void seen.push(`error:${e.code}`))
      .onclose((_c, reason, code) => void seen.push(`close:${code}:${reason}`));
    const result = await connect(app, upgradeRequest("/p"), { echoClose: false });
    if (!("socket" in result)) throw new Error("not upgraded");
    await settle();
    return { socket: result.socket, seen, pending };
  }

  it("a handler that rejects after the peer's close frame arrived still fails with 1011: onerror, then onclose", async () => {
    const { socket, seen, pending } = await pendingApp();
    socket.events.message("a", false);
    socket.events.closed(1000, "bye");
    pending[0]!.reject(new Error("late bug"));
    await settle();
    expect(seen).toEqual(["msg:a", "error:1011", "close:1000:bye"]);
  });

  it("a protocol error waits behind messages already queued: they are delivered first", async () => {
    const { socket, seen, pending } = await pendingApp();
    socket.events.message("a", false);
    socket.events.message("b", false);
    socket.events.message("c", false);
    socket.events.fail({ kind: "protocol", code: 1002, detail: "bad frame" });
    for (let i = 0; i < 3; i++) {
      await settle();
      pending[i]?.resolve();
    }
    await settle();
    socket.finishClose();
    await settle();
    expect(seen).toEqual(["msg:a", "msg:b", "msg:c", "error:1002", "close:1002:bad frame"]);
  });
});

describe("ondrain", () => {
  it("runs once after a backpressured send, however often the adapter signals drain", async () => {
    const { Rookery } = await import("../../mod.ts");
    const app = new Rookery();
    const seen: string[] = [];
    app
      .ws("/d")
      .onmessage((c, m) => void seen.push(`send:${c.send(m)}`))
      .ondrain(() => void seen.push("drain"));
    const r = await connect(app, upgradeRequest("/d"), { sendStatus: "backpressure" });
    if (!("socket" in r)) throw new Error("rejected");
    await settle();
    r.socket.events.drain(); // no backpressure yet: ignored
    r.socket.events.message("x", false);
    r.socket.events.drain();
    r.socket.events.drain();
    await settle();
    expect(seen).toEqual(["send:backpressure", "drain"]);
  });
});
