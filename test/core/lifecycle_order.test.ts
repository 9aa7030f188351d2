/**
 * What the driver does with events that arrive while a handler is pending, or once a close is
 * under way: handlers of one connection run one at a time, in arrival order, and nothing runs
 * after onclose.
 */
import { describe, expect, it } from "vitest";
import { Rookery } from "../../mod.ts";
import { connect, type MemorySocket, settle, upgradeRequest } from "../support/memory_transport.ts";

/** Promises the test settles by name; a handler waiting on one logs `start:x`, then `end:x`. */
class Gates {
  readonly #pending = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();

  wait(name: string, log: string[]): Promise<void> {
    log.push(`start:${name}`);
    return new Promise<void>((resolve, reject) => this.#pending.set(name, { resolve, reject })).then(() => {
      log.push(`end:${name}`);
    });
  }

  open(name: string): void {
    this.#gate(name).resolve();
  }

  reject(name: string, error: Error): void {
    this.#gate(name).reject(error);
  }

  #gate(name: string) {
    const gate = this.#pending.get(name);
    if (!gate) throw new Error(`nothing waits on ${name}`);
    return gate;
  }
}

/**
 * `/o`: with `asyncOpen`, onopen sends "hello" and waits on gate "open"; a message "wait:x"
 * sends an echo and waits on gate "x", any other is logged; with `asyncError`, onerror waits on
 * gate "error".
 */
async function scripted(
  options: { asyncOpen?: boolean; asyncError?: boolean } = {},
  transport: Parameters<typeof connect>[2] = {},
): Promise<{ s: MemorySocket; log: string[]; gates: Gates; logged: string[] }> {
  const logged: string[] = [];
  const app = new Rookery({ logger: (message) => void logged.push(message) });
  const log: string[] = [];
  const gates = new Gates();
  app
    .ws("/o")
    .onopen((conn) => {
      if (!options.asyncOpen) return;
      conn.send("hello");
      return gates.wait("open", log);
    })
    .onmessage((conn, message) => {
      const text = message as string;
      if (!text.startsWith("wait:")) return void log.push(`msg:${text}`);
      conn.send(text);
      return gates.wait(text.slice(5), log);
    })
    .onerror((_conn, error) => {
      log.push(`error:${error.code}`);
      if (options.asyncError) return gates.wait("error", log);
    })
    .ondrain(() => void log.push("drain"))
    .onclose((_conn, reason, code) => void log.push(`close:${code}:${reason}`));
  const result = await connect(app, upgradeRequest("/o"), transport);
  if (!("socket" in result)) throw new Error("not upgraded");
  await settle();
  return { s: result.socket, log, gates, logged };
}

describe("events arriving while a handler is pending", () => {
  it("queued events of every kind run one at a time and in order once an async onopen settles", async () => {
    const { s, log, gates } = await scripted({ asyncOpen: true }, { sendStatus: "backpressure" });
    s.events.drain();
    s.events.message("a", false);
    s.events.message("wait:b", false);
    s.events.message("c", false);
    await settle();
    expect(log).toEqual(["start:open"]);
    gates.open("open");
    await settle();
    // A synchronous handler taken from the queue must not let "c" start while "b" is pending.
    expect(log).toEqual(["start:open", "end:open", "drain", "msg:a", "start:b"]);
    gates.open("b");
    await settle();
    expect(log).toEqual(["start:open", "end:open", "drain", "msg:a", "start:b", "end:b", "msg:c"]);
  });

  it("a failure reported during a pending handler waits for it and for the messages before it", async () => {
    const { s, log, gates } = await scripted();
    s.events.message("wait:a", false);
    s.events.message("b", false);
    s.events.fail({ kind: "protocol", code: 1002, detail: "bad frame" });
    expect(log).toEqual(["start:a"]);
    gates.open("a");
    await settle();
    expect(log).toEqual(["start:a", "end:a", "msg:b", "error:1002", "close:1002:bad frame"]);
  });

  it("a drain reported during a pending handler waits for it", async () => {
    const { s, log, gates } = await scripted({}, { sendStatus: "backpressure" });
    s.events.message("wait:a", false);
    s.events.drain();
    await settle();
    expect(log).toEqual(["start:a"]);
    gates.open("a");
    await settle();
    expect(log).toEqual(["start:a", "end:a", "drain"]);
  });

  it("an async onerror holds back onclose after a dropped connection", async () => {
    const { s, log, gates } = await scripted({ asyncError: true });
    s.events.closed(1006, "");
    await settle();
    expect(log).toEqual(["error:1006", "start:error"]);
    gates.open("error");
    await settle();
    expect(log).toEqual(["error:1006", "start:error", "end:error", "close:1006:"]);
  });

  it("a handler that rejects after the connection already failed is only logged: onerror runs once", async () => {
    const { s, log, gates, logged } = await scripted();
    s.events.message("wait:a", false);
    s.events.fail({ kind: "protocol", code: 1002, detail: "bad frame" });
    gates.reject("a", new Error("late bug"));
    await settle();
    expect(log).toEqual(["start:a", "error:1002", "close:1002:bad frame"]);
    expect(logged).toEqual(["onmessage handler threw on http://127.0.0.1/o"]);
  });
});

describe("an idle connection", () => {
  it("runs onerror as soon as the adapter reports a failure, before the peer answers the close", async () => {
    const { s, log } = await scripted({}, { echoClose: false });
    s.events.fail({ kind: "protocol", code: 1002, detail: "bad frame" });
    expect(log).toEqual(["error:1002"]);
    expect(s.serverClose).toEqual({ code: 1002, reason: "bad frame" });
    s.finishClose();
    await settle();
    expect(log).toEqual(["error:1002", "close:1002:bad frame"]);
  });
});

describe("after a clean close", () => {
  it("a late message is not delivered", async () => {
    const { s, log } = await scripted();
    s.events.closed(1000, "bye");
    s.events.message("late", false);
    await settle();
    expect(log).toEqual(["close:1000:bye"]);
  });

  it("a late failure is ignored: no onerror, no close frame", async () => {
    const { s, log } = await scripted();
    s.events.closed(1000, "bye");
    s.events.fail({ kind: "protocol", code: 1002, detail: "bad frame" });
    await settle();
    expect(log).toEqual(["close:1000:bye"]);
    expect(s.serverClose).toBeUndefined();
  });
});

describe("while the server's close is under way", () => {
  it("a lost transport is not an error, and onclose reports what the server sent", async () => {
    const { s, log } = await scripted({}, { echoClose: false });
    s.connection.close(4000, "done");
    s.events.fail({ kind: "lost", detail: "ECONNRESET" });
    s.events.closed(1006, "");
    await settle();
    expect(log).toEqual(["close:4000:done"]);
  });

  it("a protocol error from the peer still runs onerror; onclose reports what the server sent", async () => {
    const { s, log } = await scripted({}, { echoClose: false });
    s.connection.close(4000, "done");
    s.events.fail({ kind: "protocol", code: 1002, detail: "bad frame" });
    expect(log).toEqual(["error:1002"]);
    // The close frame already went out: no second one.
    expect(s.serverClose).toEqual({ code: 4000, reason: "done" });
    s.finishClose();
    await settle();
    expect(log).toEqual(["error:1002", "close:4000:done"]);
  });
});
