/**
 * A close the runtime reports inside a handler's own call (Bun does, inside `ws.close()`), and a
 * logger that throws.
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
