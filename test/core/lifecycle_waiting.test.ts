/**
 * What becomes of events that wait behind a pending handler when the connection fails, and of a
 * close the runtime reports inside a handler's own call (Bun does, inside `ws.close()`).
 */
import { describe, expect, it } from "vitest";
import { Rookery } from "../../mod.ts";
import { connect, type MemorySocket, settle, upgradeRequest } from "../support/memory_transport.ts";

async function open(app: Rookery, options: Parameters<typeof connect>[2] = {}): Promise<MemorySocket> {
  const result = await connect(app, upgradeRequest("/w"), options);
  if (!("socket" in result)) throw new Error(`not upgraded: ${result.response.status}`);
  await settle();
  return result.socket;
}

/** An onmessage whose promise the test settles; every handler's call is recorded. */
function pendingApp(): { app: Rookery; seen: string[]; settleMessage: (ok: boolean) => void } {
  const app = new Rookery({ logger: () => {} });
  const seen: string[] = [];
  let settlePending!: (ok: boolean) => void;
  app
    .ws("/w")
    .onmessage((_conn, message) => {
      seen.push(`message:${String(message)}`);
      return new Promise<void>((resolve, reject) => {
        settlePending = (ok) => (ok ? resolve() : reject(new Error("boom")));
      });
    })
    .onpong((_conn, payload) => void seen.push(`pong:${payload.length}`))
    .onerror((_conn, error) => void seen.push(`error:${error.code}`))
    .onclose((_conn, _reason, code) => void seen.push(`close:${code}`));
  return { app, seen, settleMessage: (ok) => settlePending(ok) };
}

describe("a pong waiting behind a pending handler", () => {
  it("is dropped when that handler rejects, like the messages behind it; onerror and onclose follow", async () => {
    const { app, seen, settleMessage } = pendingApp();
    const s = await open(app);
    s.events.message("one", false);
    s.events.pong(Uint8Array.of(1, 2));
    settleMessage(false);
    await settle(5);
    expect(seen).toEqual(["message:one", "error:1011", "close:1011"]);
  });

  it("is not delivered after a protocol failure reported meanwhile, and does not hold back onerror and onclose", async () => {
    const { app, seen, settleMessage } = pendingApp();
    const s = await open(app);
    s.events.message("one", false);
    s.events.pong(Uint8Array.of(1, 2, 3));
    s.events.fail({ kind: "protocol", code: 1002, detail: "bad frame" });
    settleMessage(true);
    await settle(5);
    expect(seen).toEqual(["message:one", "error:1002", "close:1002"]);
  });
});

describe("a close the runtime reports inside a handler's call", () => {
  it("waits for that handler: ondrain returns before onclose runs", async () => {
    const app = new Rookery({ logger: () => {} });
    const order: string[] = [];
    const peer: { socket?: MemorySocket } = {};
    app
      .ws("/w")
      .ondrain((conn) => {
        conn.close(1000, "bye");
        // As Bun does: the socket's close is reported within the close call.
        peer.socket!.events.closed(1000, "bye");
        order.push("ondrain returns");
      })
      .onclose((_conn, reason, code) => void order.push(`onclose ${code} ${reason}`));
    const s = await open(app, { sendStatus: "backpressure", echoClose: false });
    peer.socket = s;
    expect(s.connection.send("x")).toBe("backpressure");
    s.events.drain();
    await settle();
    expect(order).toEqual(["ondrain returns", "onclose 1000 bye"]);
  });
});

describe("a logger that throws", () => {
  it("does not break what it reports on: a failed onopen still closes with 1011 and runs onclose", async () => {
    const app = new Rookery({
      logger: () => {
        throw new Error("logger broken");
      },
    });
    const seen: string[] = [];
    app
      .ws("/w")
      .onopen(() => {
        throw new Error("boom");
      })
      .onclose((_conn, _reason, code) => void seen.push(`close:${code}`));
    // No onerror on the route: the handler's failure is logged, through the broken logger.
    const s = await open(app);
    await settle(5);
    expect(s.serverClose?.code).toBe(1011);
    expect(seen).toEqual(["close:1011"]);
  });
});
