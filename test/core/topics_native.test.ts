/**
 * Topics with Bun's native pub/sub (modelled in memory by `NativeServer`): the registry must give
 * the same delivery sets, `subscribers(topic)` and `conn.topics` as with the core's own members,
 * whether the members are native, core, on one Bun server or several, or mixed.
 */
import { describe, expect, it } from "vitest";
import { Rookery } from "../../mod.ts";
import { connect, type MemorySocket, settle, upgradeRequest } from "../support/memory_transport.ts";
import { NativeServer } from "../support/native_topics.ts";

/** Where a socket lives: the core delivers to it itself, or it is a socket of a Bun server. */
type Where = NativeServer | "core";

async function open(app: Rookery, where: Where[]): Promise<MemorySocket[]> {
  const sockets: MemorySocket[] = [];
  for (const w of where) {
    const r = await connect(app, upgradeRequest("/room"), w === "core" ? {} : { native: w });
    if (!("socket" in r)) throw new Error("rejected");
    sockets.push(r.socket);
  }
  await settle();
  return sockets;
}

function roomApp(): Rookery {
  const app = new Rookery();
  app.ws("/room");
  return app;
}

const layouts: [string, (a: NativeServer, b: NativeServer) => Where[]][] = [
  ["core members only", () => ["core", "core", "core", "core", "core"]],
  ["one Bun server", (a) => [a, a, a, a, a]],
  ["two Bun servers", (a, b) => [a, b, a, b, b]],
  ["core members and two Bun servers", (a, b) => ["core", a, b, a, "core"]],
];

describe("topics with native members", () => {
  it.each(layouts)("%s: conn.publish reaches every subscriber but the sender, app.publish every subscriber", async (_name, layout) => {
    const app = roomApp();
    const sockets = await open(app, layout(new NativeServer(), new NativeServer()));
    // The last socket never subscribes: it only publishes.
    const subscribed = sockets.slice(0, 4);
    for (const s of subscribed) s.connection.subscribe("lobby");
    sockets.forEach((s, i) => s.connection.publish("lobby", `from ${i}`));
    app.publish("lobby", "all");
    sockets.forEach((s, j) => {
      const expected = j < 4 ? [...sockets.keys()].filter((i) => i !== j).map((i) => `from ${i}`).concat("all") : [];
      expect(s.sent, `socket ${j}`).toEqual(expected);
    });
    expect(app.subscribers("lobby")).toBe(4);
    expect(sockets.map((s) => s.connection.topics)).toEqual([["lobby"], ["lobby"], ["lobby"], ["lobby"], []]);
  });

  it("subscribing twice counts once; native and core subscribers are counted together", async () => {
    const server = new NativeServer();
    const app = roomApp();
    const [native, core] = await open(app, [server, "core"]);
    native!.connection.subscribe("x");
    native!.connection.subscribe("x");
    core!.connection.subscribe("x");
    expect(app.subscribers("x")).toBe(2);
    expect(server.subscriberCount("x")).toBe(1);
    expect(native!.connection.topics).toEqual(["x"]);
    app.publish("x", "once");
    expect([native!.sent, core!.sent]).toEqual([["once"], ["once"]]);
  });

  it("unsubscribe ends only that topic, for native and core members alike", async () => {
    const [a, b] = [new NativeServer(), new NativeServer()];
    const app = roomApp();
    const [a1, a2, b1, core] = await open(app, [a, a, b, "core"]);
    const all = [a1!, a2!, b1!, core!];
    for (const s of all) {
      s.connection.subscribe("t");
      s.connection.subscribe("u");
    }
    a1!.connection.unsubscribe("t");
    b1!.connection.unsubscribe("t");
    core!.connection.unsubscribe("u");
    expect(all.map((s) => s.connection.topics)).toEqual([["u"], ["t", "u"], ["u"], ["t"]]);
    expect([app.subscribers("t"), app.subscribers("u")]).toEqual([2, 3]);
    expect([a.subscriberCount("t"), b.subscriberCount("t")]).toEqual([1, 0]);
    app.publish("t", "T");
    app.publish("u", "U");
    a2!.connection.publish("t", "from a2");
    expect(all.map((s) => s.sent)).toEqual([["U"], ["T", "U"], ["U"], ["T", "from a2"]]);

    for (const s of all) for (const topic of s.connection.topics) s.connection.unsubscribe(topic);
    expect([app.subscribers("t"), app.subscribers("u"), app.topics.size]).toEqual([0, 0, 0]);
    app.publish("t", "nobody");
    app.publish("u", "nobody");
    expect(all.map((s) => s.sent.length)).toEqual([1, 2, 1, 2]);
  });

  it("a Bun server keeps being published to while any of its sockets is subscribed", async () => {
    const server = new NativeServer();
    const app = roomApp();
    const [first, second, third] = await open(app, [server, server, server]);
    for (const s of [first!, second!, third!]) s.connection.subscribe("t");
    first!.events.closed(1000, "");
    second!.connection.unsubscribe("t");
    app.publish("t", "still here");
    expect(third!.sent).toEqual(["still here"]);
    expect(app.subscribers("t")).toBe(1);
  });

  it("a closed connection leaves every topic, however it ended; the app forgets its server", async () => {
    const [a, b] = [new NativeServer(), new NativeServer()];
    const app = new Rookery();
    app
      .ws("/room")
      .onopen((conn) => {
        conn.subscribe("t");
        conn.subscribe(`own-${conn.id}`);
      })
      .onmessage(() => {
        throw new Error("bug");
      });
    const [a1, a2, a3, b1, core] = await open(app, [a, a, a, b, "core"]);
    expect([app.subscribers("t"), app.topics.size]).toEqual([5, 6]);
    a1!.events.closed(1000, "");
    a2!.connection.close();
    a3!.events.message("boom", false);
    b1!.events.closed(1006, "");
    await settle(10);
    for (const s of [a1!, a2!, a3!, b1!]) expect(s.connection.topics).toEqual([]);
    expect([app.subscribers("t"), app.topics.size]).toEqual([1, 2]);
    expect([a.subscriberCount("t"), b.subscriberCount("t")]).toEqual([0, 0]);

    // Another server's socket joins: a publish reaches it, and asks nothing of the servers
    // nobody is subscribed on any more (the app holds no stopped server alive).
    const [c1] = await open(app, [new NativeServer()]);
    c1!.connection.subscribe("t");
    c1!.connection.subscribe("v");
    core!.connection.publish("t", "after");
    expect([c1!.sent, a1!.sent, b1!.sent]).toEqual([["after"], [], []]);
    expect([a.publishes, b.publishes]).toEqual([[], []]);
  });

  it("a server whose only socket left all its topics is not published to any more", async () => {
    const [a, b] = [new NativeServer(), new NativeServer()];
    const app = roomApp();
    const [a1, b1] = await open(app, [a, b]);
    for (const topic of ["t", "u"]) a1!.connection.subscribe(topic);
    b1!.connection.subscribe("t");
    a1!.connection.unsubscribe("t");
    a1!.connection.unsubscribe("u");
    app.publish("t", "T");
    expect(a.publishes).toEqual([]);
    expect(b1!.sent).toEqual(["T"]);
  });

  it("publishing a topic no native socket is subscribed to asks nothing of the runtime", async () => {
    const server = new NativeServer();
    const app = roomApp();
    const [native, core] = await open(app, [server, "core"]);
    native!.connection.subscribe("elsewhere");
    core!.connection.subscribe("t");
    native!.connection.publish("t", "hi");
    app.publish("t", "all");
    expect(core!.sent).toEqual(["hi", "all"]);
    expect(server.publishes).toEqual([]);
    native!.connection.publish("elsewhere", "x");
    expect(server.publishes).toEqual(["socket elsewhere"]);
  });
});
