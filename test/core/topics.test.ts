import { describe, expect, it } from "vitest";
import { Rookery } from "../../mod.ts";
import { connect, type MemorySocket, settle, upgradeRequest } from "../support/memory_transport.ts";

async function room(app: Rookery, n: number, path = "/room"): Promise<MemorySocket[]> {
  const sockets: MemorySocket[] = [];
  for (let i = 0; i < n; i++) {
    const r = await connect(app, upgradeRequest(path));
    if (!("socket" in r)) throw new Error("rejected");
    sockets.push(r.socket);
  }
  await settle();
  return sockets;
}

function appWithRoom(options: ConstructorParameters<typeof Rookery>[0] = {}) {
  const app = new Rookery(options);
  app.ws("/room").onopen((conn) => conn.subscribe("lobby"));
  return app;
}

describe("topics", () => {
  it("conn.publish reaches every subscriber but the sender; app.publish reaches all", async () => {
    const app = appWithRoom();
    const [a, b, c] = await room(app, 3);
    a!.connection.publish("lobby", "from a");
    app.publish("lobby", new Uint8Array([1, 2]));
    expect(a!.sent).toEqual([new Uint8Array([1, 2])]);
    expect(b!.sent).toEqual(["from a", new Uint8Array([1, 2])]);
    expect(c!.sent).toEqual(["from a", new Uint8Array([1, 2])]);
    expect(app.subscribers("lobby")).toBe(3);
  });

  it("a sender need not be subscribed; unsubscribed connections get nothing", async () => {
    const app = new Rookery();
    app.ws("/room");
    const [a, b] = await room(app, 2);
    b!.connection.subscribe("t");
    a!.connection.publish("t", "x");
    b!.connection.unsubscribe("t");
    a!.connection.publish("t", "y");
    expect(b!.sent).toEqual(["x"]);
    expect(app.subscribers("t")).toBe(0);
  });

  it("subscribe, isSubscribed, topics, unsubscribe; subscribing twice counts once", async () => {
    const app = new Rookery();
    app.ws("/room");
    const [a] = await room(app, 1);
    const conn = a!.connection;
    conn.subscribe("x");
    conn.subscribe("x");
    conn.subscribe("y");
    expect(conn.topics).toEqual(["x", "y"]);
    expect(conn.isSubscribed("x")).toBe(true);
    expect(app.subscribers("x")).toBe(1);
    conn.unsubscribe("x");
    conn.unsubscribe("nope");
    expect(conn.topics).toEqual(["y"]);
    expect(conn.isSubscribed("x")).toBe(false);
    expect(() => conn.subscribe("")).toThrow(TypeError);
    expect(() => app.publish("", "x")).toThrow(TypeError);
  });

  it("subscriptions end with the connection, however it ends: 3,000 connections leave no trace", async () => {
    const app = new Rookery({ logger: () => {} }); // the handler below throws on purpose
    app
      .ws("/room")
      .onopen((conn) => {
        conn.subscribe("all");
        conn.subscribe(`own-${conn.id}`);
      })
      .onmessage(() => {
        throw new Error("bug");
      });
    const sockets = await room(app, 3000);
    expect(app.subscribers("all")).toBe(3000);
    expect(app.topics.size).toBe(3001);
    sockets.forEach((s, i) => {
      if (i % 4 === 0) s.events.closed(1000, "");
      else if (i % 4 === 1) s.events.closed(1006, "");
      else if (i % 4 === 2) s.events.message("boom", false);
      else s.connection.close();
    });
    await settle(10);
    expect(app.subscribers("all")).toBe(0);
    expect(app.topics.size).toBe(0);
    expect(sockets.every((s) => s.connection.topics.length === 0)).toBe(true);
  });

  it("a closed connection cannot subscribe", async () => {
    const app = new Rookery();
    app.ws("/room");
    const [a] = await room(app, 1);
    a!.events.closed(1000, "");
    a!.connection.subscribe("late");
    expect(app.subscribers("late")).toBe(0);
  });
});

describe("slow readers (maxBufferedAmount)", () => {
  async function slow(options: ConstructorParameters<typeof Rookery>[0]) {
    const app = new Rookery(options);
    const events: string[] = [];
    app
      .ws("/room")
      .onopen((c) => c.subscribe("t"))
      .onerror((_c, e) => void events.push(`error:${e.code}`))
      .onclose((_c, _r, code) => void events.push(`close:${code}`));
    const r = await connect(app, upgradeRequest("/room"));
    if (!("socket" in r)) throw new Error("rejected");
    await settle();
    return { app, socket: r.socket, events };
  }

  it('"close" (default): a send to a connection over the bound fails it with 1008', async () => {
    const { app, socket, events } = await slow({ maxBufferedAmount: 1000 });
    expect(socket.connection.send("fine")).toBe("sent");
    socket.buffered = 1001;
    app.publish("t", "too much");
    expect(socket.sent).toEqual(["fine"]);
    expect(socket.serverClose?.code).toBe(1008);
    await settle();
    expect(events).toEqual(["error:1008", "close:1008"]);
    expect(app.subscribers("t")).toBe(0);
  });

  it('"drop": the message is skipped for that connection only, and send says so', async () => {
    const { app, socket, events } = await slow({ maxBufferedAmount: 1000, slowReader: "drop" });
    const fast = await connect(app, upgradeRequest("/room"));
    if (!("socket" in fast)) throw new Error("rejected");
    await settle();
    socket.buffered = 5000;
    app.publish("t", "news");
    expect(socket.connection.send("direct")).toBe("dropped");
    expect(socket.sent).toEqual([]);
    expect(fast.socket.sent).toEqual(["news"]);
    socket.buffered = 0;
    app.publish("t", "later");
    expect(socket.sent).toEqual(["later"]);
    expect(events).toEqual([]);
  });

  it("the bound is at most, not at least: exactly maxBufferedAmount still sends", async () => {
    const { socket } = await slow({ maxBufferedAmount: 1000 });
    socket.buffered = 1000;
    expect(socket.connection.send("x")).toBe("sent");
  });

  it("route settings override the app's; bad values throw at registration", async () => {
    const app = new Rookery({ maxBufferedAmount: 1000, slowReader: "drop" });
    app.ws("/r").maxBufferedAmount(10).slowReader("close");
    app.ws("/a");
    const { decideUpgrade } = await import("../../src/upgrade.ts");
    const r = await decideUpgrade(app, upgradeRequest("/r"));
    const a = await decideUpgrade(app, upgradeRequest("/a"));
    if (r.kind !== "accept" || a.kind !== "accept") throw new Error("rejected");
    expect([r.acceptance.settings.maxBufferedAmount, r.acceptance.settings.slowReader]).toEqual([10, "close"]);
    expect([a.acceptance.settings.maxBufferedAmount, a.acceptance.settings.slowReader]).toEqual([1000, "drop"]);
    expect(() => new Rookery({ slowReader: "ignore" as never })).toThrow(TypeError);
    expect(() => new Rookery({ maxBufferedAmount: -1 })).toThrow(RangeError);
    expect(() => new Rookery().ws("/x").slowReader("nope" as never)).toThrow(TypeError);
  });
});
