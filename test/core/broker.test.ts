import { describe, expect, it } from "vitest";
import { Rookery } from "../../mod.ts";
import type { Broker } from "../../src/broker.ts";
import { MemoryHub } from "../support/memory_broker.ts";
import { connect, type MemorySocket, settle, upgradeRequest } from "../support/memory_transport.ts";
import { NativeServer } from "../support/native_topics.ts";

/** `n` connections of /room; with `native`, sockets of that Bun-like server. */
async function join(app: Rookery, n: number, native?: NativeServer): Promise<MemorySocket[]> {
  const sockets: MemorySocket[] = [];
  for (let i = 0; i < n; i++) {
    const r = await connect(app, upgradeRequest("/room"), native ? { native } : {});
    if (!("socket" in r)) throw new Error("rejected");
    sockets.push(r.socket);
  }
  await settle();
  return sockets;
}

/** `count` instances of one app sharing a hub; each connection of /room joins "lobby". */
function instances(count: number, hub = new MemoryHub()) {
  return Array.from({ length: count }, () => {
    const broker = hub.broker();
    const app = new Rookery({ broker });
    app.ws("/room").onopen((conn) => conn.subscribe("lobby"));
    return { app, broker };
  });
}

describe("broker seam", () => {
  it("conn.publish reaches every other subscriber on every instance, never the sender", async () => {
    const [one, two] = instances(2);
    const [a, b] = await join(one!.app, 2);
    const [c, d] = await join(two!.app, 2);
    a!.connection.publish("lobby", "from a");
    // Two publishers are not ordered with each other across instances: let the first land.
    await settle();
    c!.connection.publish("lobby", new Uint8Array([0, 255]));
    await settle();
    expect(a!.sent).toEqual([new Uint8Array([0, 255])]);
    expect(b!.sent).toEqual(["from a", new Uint8Array([0, 255])]);
    expect(c!.sent).toEqual(["from a"]);
    expect(d!.sent).toEqual(["from a", new Uint8Array([0, 255])]);
  });

  it("app.publish reaches every subscriber on every instance, exactly once", async () => {
    const [one, two, three] = instances(3);
    const sockets = [...(await join(one!.app, 1)), ...(await join(two!.app, 2)), ...(await join(three!.app, 1))];
    one!.app.publish("lobby", "all");
    await settle();
    for (const s of sockets) expect(s.sent).toEqual(["all"]);
  });

  it("subscribes a topic on its first local subscriber and unsubscribes on its last", async () => {
    const [{ app, broker }] = instances(1) as [{ app: Rookery; broker: ReturnType<MemoryHub["broker"]> }];
    const [a, b] = await join(app, 2);
    expect(broker.calls).toEqual(["subscribe lobby"]);
    a!.connection.unsubscribe("lobby");
    expect(broker.calls).toEqual(["subscribe lobby"]);
    b!.events.closed(1000, "");
    await settle();
    expect(broker.calls).toEqual(["subscribe lobby", "unsubscribe lobby"]);
    a!.connection.subscribe("lobby");
    expect(broker.calls).toEqual(["subscribe lobby", "unsubscribe lobby", "subscribe lobby"]);
  });

  it("native and core subscribers count together: subscribe on the first, unsubscribe on the last", async () => {
    const [{ app, broker }] = instances(1) as [{ app: Rookery; broker: ReturnType<MemoryHub["broker"]> }];
    const [native] = await join(app, 1, new NativeServer());
    expect(broker.calls).toEqual(["subscribe lobby"]);
    const [core] = await join(app, 1);
    native!.connection.unsubscribe("lobby");
    expect(broker.calls).toEqual(["subscribe lobby"]);
    native!.connection.subscribe("lobby");
    core!.events.closed(1000, "");
    expect(broker.calls).toEqual(["subscribe lobby"]);
    native!.events.closed(1000, "");
    expect(broker.calls).toEqual(["subscribe lobby", "unsubscribe lobby"]);
  });

  it("native subscribers get what other instances publish, and sender exclusion holds", async () => {
    const [a, b] = [new NativeServer(), new NativeServer()];
    const [one, two] = instances(2);
    const [sender, sameServer] = await join(one!.app, 2, a);
    const [otherServer] = await join(one!.app, 1, b);
    const [far, farCore] = [...(await join(two!.app, 1, new NativeServer())), ...(await join(two!.app, 1))];
    sender!.connection.publish("lobby", "hi");
    await settle();
    expect([sender, sameServer, otherServer, far, farCore].map((s) => s!.sent)).toEqual([[], ["hi"], ["hi"], ["hi"], ["hi"]]);
    farCore!.connection.publish("lobby", "back");
    await settle();
    expect([sender, sameServer, otherServer, far].map((s) => s!.sent.at(-1))).toEqual(["back", "back", "back", "back"]);
  });

  it("without a broker, publishing stays local and logs nothing", async () => {
    const logged: string[] = [];
    const app = new Rookery({ logger: (m) => logged.push(m) });
    app.ws("/room").onopen((conn) => conn.subscribe("lobby"));
    const [a, b] = await join(app, 2);
    a!.connection.publish("lobby", "hi");
    app.publish("lobby", "all");
    expect(b!.sent).toEqual(["hi", "all"]);
    expect(logged).toEqual([]);
  });

  it("publishes to the broker even when no local connection is subscribed", async () => {
    const [one, two] = instances(2);
    const [far] = await join(two!.app, 1);
    one!.app.publish("lobby", "hello");
    expect(one!.broker.calls).toEqual(["publish lobby"]);
    await settle();
    expect(far!.sent).toEqual(["hello"]);
  });

  it("a message for a topic nobody here wants any more is dropped quietly", async () => {
    const hub = new MemoryHub();
    const [one] = instances(1, hub);
    const [a] = await join(one!.app, 1);
    a!.connection.unsubscribe("lobby");
    // What a real broker may still bring during the unsubscribe round trip.
    expect(() => one!.broker.receive("lobby", "late")).not.toThrow();
    expect(a!.sent).toEqual([]);
    expect(one!.broker.calls).toEqual(["subscribe lobby", "unsubscribe lobby"]);
  });

  it("a broker that throws is logged; handlers and local delivery carry on", async () => {
    const logged: string[] = [];
    const broken: Broker = {
      start() {},
      subscribe() {
        throw new Error("down");
      },
      unsubscribe() {},
      publish() {
        throw new Error("down");
      },
    };
    const app = new Rookery({ broker: broken, logger: (m) => logged.push(m) });
    app.ws("/room").onopen((conn) => conn.subscribe("lobby")).onmessage((conn, m) => conn.publish("lobby", m));
    const [a, b] = await join(app, 2);
    a!.events.message("hi", false);
    await settle();
    expect(b!.sent).toEqual(["hi"]);
    expect(a!.connection.readyState).toBe(1);
    expect(logged).toEqual(['broker.subscribe("lobby") threw', 'broker.publish("lobby") threw']);
  });

  it("rejects something that is not a broker, and a broker given to a second app", () => {
    expect(() => new Rookery({ broker: {} as Broker })).toThrow(/start\(\) method/);
    expect(() => new Rookery({ broker: null as unknown as Broker })).toThrow(/start\(\) method/);
    const broker = new MemoryHub().broker();
    new Rookery({ broker });
    expect(() => new Rookery({ broker })).toThrow(/already serves/);
  });
});
