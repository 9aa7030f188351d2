/** The Bun adapter with Bun's own WebSocket client, on Bun's test runner (`bun test test/bun`). */
import { expect, test } from "bun:test";
import { type Connection, Rookery } from "../../mod.ts";
import { openWebClient, roomEchoApp, until } from "../support/web_client.ts";
import { handlers, serve } from "../../adapters/bun.ts";
import { clientFrame, extensionParams, openRaw, type RawClient, type RawFrame } from "./raw_client.ts";

async function withServer(fn: (port: number, events: string[], app: Rookery) => Promise<void>): Promise<void> {
  const events: string[] = [];
  const app = roomEchoApp(events);
  const server = await serve(app, { port: 0, hostname: "127.0.0.1" });
  try {
    await fn(server.port, events, app);
  } finally {
    await server.close();
  }
}

const open = (port: number) => openWebClient(`ws://127.0.0.1:${port}/echo/lobby`, ["chat"]);

test("Bun client: echo, typed data, subprotocol, client close", async () => {
  await withServer(async (port, events) => {
    const { ws, got, closed } = await open(port);
    expect(ws.protocol).toBe("chat");
    ws.send("héllo");
    ws.send(new Uint8Array(300));
    await until(() => got.length === 2);
    expect(got).toEqual(["héllo", 300]);
    ws.close(4001, "bye");
    await closed;
    await until(() => events.length === 4);
    expect(events).toEqual(["open:lobby:chat", "text:héllo", "binary:300", "close:4001:bye"]);
  });
});

test("Bun client: server close and the 1009 limit", async () => {
  await withServer(async (port, events) => {
    const a = await open(port);
    a.ws.send("close-me");
    expect(await a.closed).toEqual([4000, "done"]);
    const b = await open(port);
    b.ws.send(new Uint8Array(1001));
    expect((await b.closed)[0]).toBe(1009);
    await until(() => events.length === 6);
    expect(events).toEqual([
      "open:lobby:chat",
      "text:close-me",
      "close:4000:done",
      "open:lobby:chat",
      "error:1009",
      "close:1009:Message over the limit of 1000 bytes",
    ]);
  });
});

test("Bun client: native topics skip the sender", async () => {
  await withServer(async (port, _events, app) => {
    const a = await open(port);
    const b = await open(port);
    await until(() => app.subscribers("lobby") === 2);
    a.ws.send("shout");
    await until(() => b.got.length === 1);
    await Bun.sleep(50);
    expect([a.got, b.got]).toEqual([[], ["shouted"]]);
    a.ws.close();
    b.ws.close();
  });
});

test("Bun itself refuses a message over its server-wide limit: the error names the connection's own route limit", async () => {
  // Bun's maxPayloadLength is the largest route limit (1000); /small's own limit is 100. A 2000-byte
  // message passes both, so Bun refuses it, and Rookery must report /small's limit, not Bun's.
  const { Rookery } = await import("../../mod.ts");
  const app = new Rookery();
  const events: string[] = [];
  for (const [path, limit] of [["/small", 100], ["/large", 1000]] as const) {
    app
      .ws(path)
      .maxPayload(limit)
      .onerror((_c, e) => void events.push(`error:${e.code}:${e.message}`))
      .onclose((_c, reason, code) => void events.push(`close:${code}:${reason}`));
  }
  const server = await serve(app, { port: 0, hostname: "127.0.0.1" });
  try {
    const { ws, closed } = await openWebClient(`ws://127.0.0.1:${server.port}/small`);
    ws.send(new Uint8Array(2000));
    expect((await closed)[0]).toBe(1009);
    await until(() => events.length === 2);
    expect(events).toEqual(["error:1009:Message over the limit of 100 bytes", "close:1009:Message over the limit of 100 bytes"]);
  } finally {
    await server.close();
  }
});

test("a socket the user's own Bun.serve upgrades goes to the user's handlers; Rookery's keep working", async () => {
  const events: string[] = [];
  const app = roomEchoApp(events);
  const foreign: string[] = [];
  const rookery = handlers(app, undefined, {
    websocket: {
      open: (ws) => void foreign.push(`open:${(ws.data as { me: string }).me}`),
      message: (ws, m) => {
        foreign.push(`message:${String(m)}`);
        if (m === "throw") throw new Error("a bug in the user's own handler");
        ws.sendText(`mine:${String(m)}`);
      },
      close: (_ws, code) => void foreign.push(`close:${code}`),
    },
  });
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: (req, srv) => (new URL(req.url).pathname === "/mine" && srv.upgrade(req, { data: { me: "ann" } }) ? undefined : rookery.fetch(req, srv)),
    websocket: rookery.websocket,
  });
  try {
    const mine = await openWebClient(`ws://127.0.0.1:${server.port}/mine`);
    mine.ws.send("throw");
    mine.ws.send("hi");
    await until(() => mine.got.length === 1);
    expect(mine.got).toEqual(["mine:hi"]);
    const theirs = await openWebClient(`ws://127.0.0.1:${server.port}/echo/lobby`, ["chat"]);
    theirs.ws.send("hello");
    await until(() => theirs.got.length === 1);
    expect(theirs.got).toEqual(["hello"]);
    mine.ws.close(4001);
    await mine.closed;
    await until(() => foreign.length === 4);
    expect(foreign).toEqual(["open:ann", "message:throw", "message:hi", "close:4001"]);
  } finally {
    server.stop(true);
  }
});

test("serve rejects (does not throw) when the port is taken, like Node and Deno", async () => {
  const { Rookery } = await import("../../mod.ts");
  const first = await serve(new Rookery(), { port: 0, hostname: "127.0.0.1" });
  try {
    let threw = false;
    const attempt = (() => {
      try {
        return serve(new Rookery(), { port: first.port, hostname: "127.0.0.1" });
      } catch {
        threw = true;
        return undefined;
      }
    })();
    expect(threw).toBe(false);
    await expect(attempt).rejects.toThrow();
  } finally {
    await first.close();
  }
});

// Compression: Bun deflates natively; Rookery steers its negotiation per route and asks for
// compression per send.

/** 10 KiB of text that deflates to a few dozen bytes. */
const COMPRESSIBLE = "rookery ".repeat(1280);

/**
 * Routes over one server that compresses: `/echo` with the defaults (threshold 1024), `/plain`
 * with compression off, `/never` agreeing but never compressing what it sends, `/narrow` with
 * small windows, `/quiet` without context takeover and a window Bun cannot pair with that.
 */
async function withDeflateServer(fn: (port: number, app: import("../../mod.ts").Rookery) => Promise<void>): Promise<void> {
  const { Rookery } = await import("../../mod.ts");
  const app = new Rookery({ perMessageDeflate: true, logger: () => {} });
  const echo = (conn: { send(m: string | Uint8Array): unknown }, message: string | Uint8Array) => void conn.send(message);
  app.ws("/echo").onmessage(echo);
  app.ws("/plain").perMessageDeflate(false).onmessage(echo);
  app.ws("/never").perMessageDeflate({ threshold: Infinity }).onmessage(echo);
  app.ws("/narrow").perMessageDeflate({ serverMaxWindowBits: 10, clientMaxWindowBits: 12 }).onmessage(echo);
  app.ws("/quiet").perMessageDeflate({ serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 10 }).onmessage(echo);
  const server = await serve(app, { port: 0, hostname: "127.0.0.1" });
  try {
    await fn(server.port, app);
  } finally {
    await server.close();
  }
}

/** The text of a one-frame message, inflated if it came compressed. */
function textOf(client: RawClient, frame: RawFrame): string {
  expect([frame.opcode, frame.fin]).toEqual([1, true]);
  return (frame.rsv1 ? client.inflate(frame.payload) : frame.payload).toString("utf8");
}

/** The echo of `message` on a raw client: whether it came compressed, and its text. */
async function echoed(client: RawClient, message: string, compress = false): Promise<{ rsv1: boolean; text: string }> {
  client.send(1, message, compress);
  const frame = await client.next();
  return { rsv1: frame.rsv1, text: textOf(client, frame) };
}

test("compression on Bun: Bun's own client negotiates it and a compressible 10 KiB text echoes intact", async () => {
  await withDeflateServer(async (port) => {
    const { ws, got, closed } = await openWebClient(`ws://127.0.0.1:${port}/echo`);
    expect(ws.extensions).toStartWith("permessage-deflate");
    ws.send(COMPRESSIBLE);
    await until(() => got.length === 1);
    expect(got).toEqual([COMPRESSIBLE]);
    ws.close();
    await closed;
  });
});

test("compression on Bun: the 101 carries Bun's answer; sends from the route's threshold up have RSV1, smaller ones not", async () => {
  await withDeflateServer(async (port) => {
    const client = await openRaw(port, "/echo", "permessage-deflate; client_max_window_bits");
    try {
      expect(client.status).toBe("HTTP/1.1 101 Switching Protocols");
      expect(client.headers.get("sec-websocket-extensions")).toBe("permessage-deflate");
      // A compressed message from the client is inflated by Bun, then echoed compressed.
      expect(await echoed(client, COMPRESSIBLE, true)).toEqual({ rsv1: true, text: COMPRESSIBLE });
      expect(await echoed(client, "é".repeat(512))).toEqual({ rsv1: true, text: "é".repeat(512) });
      expect(await echoed(client, "x".repeat(1023))).toEqual({ rsv1: false, text: "x".repeat(1023) });
      expect(await echoed(client, "short")).toEqual({ rsv1: false, text: "short" });
      expect(await echoed(client, COMPRESSIBLE)).toEqual({ rsv1: true, text: COMPRESSIBLE });
    } finally {
      client.end();
    }
  });
});

test("compression on Bun: a route with it off declines; a route that never compresses agrees and sends without RSV1", async () => {
  await withDeflateServer(async (port) => {
    const plain = await openRaw(port, "/plain", "permessage-deflate");
    const never = await openRaw(port, "/never", "permessage-deflate");
    try {
      expect(plain.status).toBe("HTTP/1.1 101 Switching Protocols");
      expect(plain.headers.has("sec-websocket-extensions")).toBe(false);
      expect(await echoed(plain, COMPRESSIBLE)).toEqual({ rsv1: false, text: COMPRESSIBLE });
      // Negotiated (Bun inflates what the client compresses), yet Rookery never asks Bun to compress.
      expect(never.headers.get("sec-websocket-extensions")).toBe("permessage-deflate");
      expect(await echoed(never, COMPRESSIBLE, true)).toEqual({ rsv1: false, text: COMPRESSIBLE });
    } finally {
      plain.end();
      never.end();
    }
  });
});

test("compression on Bun: each route's windows and context takeover reach Bun's answer, and what Rookery declines Bun does not accept", async () => {
  await withDeflateServer(async (port) => {
    const cases: [path: string, offer: string, answer: string[] | undefined][] = [
      ["/narrow", "permessage-deflate; client_max_window_bits", ["permessage-deflate", "client_max_window_bits=12", "server_max_window_bits=10"]],
      // Below 15 client bits, only a client that announces client_max_window_bits can be held to it.
      ["/narrow", "permessage-deflate", undefined],
      // zlib cannot deflate with 8 bits; Bun alone would agree to it.
      ["/echo", "permessage-deflate; server_max_window_bits=8", undefined],
      ["/echo", "permessage-deflate; server_max_window_bits=8, permessage-deflate; client_no_context_takeover", ["permessage-deflate", "client_no_context_takeover"]],
      // Bun resets only its shared compressor, whose window is 15: the route's own 10 gives way...
      ["/quiet", "permessage-deflate", ["permessage-deflate", "client_no_context_takeover", "server_no_context_takeover"]],
      // ...but a window the client asks for cannot, so that offer is declined.
      ["/quiet", "permessage-deflate; server_max_window_bits=10", undefined],
    ];
    for (const [path, offer, answer] of cases) {
      const client = await openRaw(port, path, offer);
      try {
        expect([path, offer, extensionParams(client.headers.get("sec-websocket-extensions"))]).toEqual([path, offer, answer]);
        const first = await echoed(client, COMPRESSIBLE, answer !== undefined);
        const second = await echoed(client, COMPRESSIBLE);
        expect([first.text, second.text]).toEqual([COMPRESSIBLE, COMPRESSIBLE]);
        expect([first.rsv1, second.rsv1]).toEqual([answer !== undefined, answer !== undefined]);
      } finally {
        client.end();
      }
    }
  });
});

test("compression on Bun: without context takeover every message is compressed afresh; with it, a repeat costs almost nothing", async () => {
  await withDeflateServer(async (port) => {
    const random = Buffer.from(crypto.getRandomValues(new Uint8Array(3000))).toString("base64");
    const sizes = async (path: string) => {
      const client = await openRaw(port, path, "permessage-deflate");
      try {
        const lengths: number[] = [];
        for (let i = 0; i < 2; i++) {
          client.send(1, random);
          const frame = await client.next();
          expect(textOf(client, frame)).toBe(random);
          lengths.push(frame.payload.length);
        }
        return lengths;
      } finally {
        client.end();
      }
    };
    const [quietFirst, quietSecond] = await sizes("/quiet");
    expect(quietSecond).toBe(quietFirst!);
    const [keptFirst, keptSecond] = await sizes("/echo");
    expect(keptSecond!).toBeLessThan(keptFirst! / 10);
  });
});

test("compression on Bun: a publish is compressed only when every subscriber that agreed would have it compressed", async () => {
  const { Rookery } = await import("../../mod.ts");
  const app = new Rookery({ perMessageDeflate: { threshold: 0 }, logger: () => {} });
  const subscribe = (conn: { subscribe(topic: string): void; send(m: string): unknown }) => {
    conn.subscribe("news");
    conn.send("subscribed");
  };
  app.ws("/feed").onopen(subscribe);
  app.ws("/feed-never").perMessageDeflate({ threshold: Infinity }).onopen(subscribe);
  const server = await serve(app, { port: 0, hostname: "127.0.0.1" });
  const clients: RawClient[] = [];
  const open = async (path: string) => {
    const client = await openRaw(server.port, path, "permessage-deflate");
    clients.push(client);
    expect(textOf(client, await client.next())).toBe("subscribed");
    return client;
  };
  const publish = async (...to: RawClient[]) => {
    app.publish("news", COMPRESSIBLE);
    const frames = await Promise.all(to.map((c) => c.next()));
    frames.forEach((frame, i) => expect(textOf(to[i]!, frame)).toBe(COMPRESSIBLE));
    return frames.map((f) => f.rsv1);
  };
  try {
    const feed = await open("/feed");
    expect(await publish(feed)).toEqual([true]);
    const never = await open("/feed-never");
    expect(await publish(feed, never)).toEqual([false, false]);
    never.end();
    await until(() => app.subscribers("news") === 1);
    expect(await publish(feed)).toEqual([true]);
  } finally {
    for (const client of clients) client.end();
    await server.close();
  }
});

test("compression on Bun: a compressed message that inflates past the route's limit closes with 1009", async () => {
  const { Rookery } = await import("../../mod.ts");
  const app = new Rookery({ perMessageDeflate: true, logger: () => {} });
  app.ws("/small").maxPayload(1000).onmessage((conn, m) => void conn.send(m));
  app.ws("/large").onmessage((conn, m) => void conn.send(m));
  const server = await serve(app, { port: 0, hostname: "127.0.0.1" });
  const client = await openRaw(server.port, "/small", "permessage-deflate");
  try {
    client.send(2, new Uint8Array(1 << 20), true);
    const frame = await client.next();
    expect([frame.opcode, frame.payload.readUInt16BE(0)]).toEqual([8, 1009]);
  } finally {
    client.end();
    await server.close();
  }
});

test("compression on Bun: Bun's per-server option follows the app and its routes", async () => {
  const { Rookery } = await import("../../mod.ts");
  const off = new Rookery();
  off.ws("/a");
  expect(handlers(off).websocket.perMessageDeflate).toBe(false);
  const routeOnly = new Rookery();
  routeOnly.ws("/a");
  routeOnly.ws("/b").perMessageDeflate({ serverMaxWindowBits: 10, clientMaxWindowBits: 12 });
  expect(handlers(routeOnly).websocket.perMessageDeflate).toEqual({ compress: "8KB", decompress: "4KB" });
  const appWide = new Rookery({ perMessageDeflate: { clientMaxWindowBits: 9 } });
  appWide.ws("/a").perMessageDeflate(false);
  expect(handlers(appWide).websocket.perMessageDeflate).toEqual({ compress: "256KB", decompress: "3KB" });
});

test("an app without compression declines it, to Bun's client and to a raw offer", async () => {
  await withServer(async (port) => {
    const { ws, closed } = await open(port);
    expect(ws.extensions).toBe("");
    ws.close();
    await closed;
    const raw = await openRaw(port, "/echo/lobby", "permessage-deflate; client_max_window_bits");
    expect(raw.status).toBe("HTTP/1.1 101 Switching Protocols");
    expect(raw.headers.has("sec-websocket-extensions")).toBe(false);
    raw.end();
  });
});

test("a route that turns compression on after the Bun server started is served uncompressed, logged once", async () => {
  const { Rookery } = await import("../../mod.ts");
  const logged: string[] = [];
  const app = new Rookery({ logger: (message) => void logged.push(message) });
  app.ws("/early").onmessage((conn, m) => void conn.send(m));
  const server = await serve(app, { port: 0, hostname: "127.0.0.1" });
  app.ws("/late").perMessageDeflate(true).onmessage((conn, m) => void conn.send(m));
  try {
    for (let i = 0; i < 2; i++) {
      const client = await openRaw(server.port, "/late", "permessage-deflate");
      expect(client.headers.has("sec-websocket-extensions")).toBe(false);
      expect(await echoed(client, COMPRESSIBLE)).toEqual({ rsv1: false, text: COMPRESSIBLE });
      client.end();
    }
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain("/late has perMessageDeflate on, but this Bun server started without compression");
  } finally {
    await server.close();
  }
});

// Failures Bun handles itself: its `close` handler gets 1006 and a reason; the reason says which.

test("protocol errors Bun fails itself reach onerror with the code Bun sent the client, then onclose", async () => {
  const app = new Rookery({ perMessageDeflate: true, logger: () => {} });
  const events: string[] = [];
  app
    .ws("/echo")
    .onmessage((conn, m) => void conn.send(m))
    .onerror((_c, e) => void events.push(`error:${e.code}:${e.name}:${e.message}`))
    .onclose((_c, reason, code) => void events.push(`close:${code}:${reason}`));
  const server = await serve(app, { port: 0, hostname: "127.0.0.1" });
  const bytes = (text: string) => new TextEncoder().encode(text);
  const cases: [offer: string | null, send: (client: RawClient) => void, code: number, name: string, reason: string][] = [
    // A close payload of one byte: a code takes two (RFC 6455 §5.5.1).
    [null, (c) => c.sendFrame(8, new Uint8Array([0x03])), 1002, "ProtocolError", "Received invalid close payload"],
    // A new data frame while a fragmented message is open (§5.4).
    [null, (c) => (c.sendFrame(1, bytes("a"), { fin: false }), c.sendFrame(1, bytes("b"))), 1002, "ProtocolError", "Received new message inside a fragmented message"],
    // RSV1 on a connection that agreed to compression, over bytes that do not inflate.
    ["permessage-deflate", (c) => c.sendFrame(1, new Uint8Array(8).fill(0xff), { rsv1: true }), 1007, "InvalidPayloadError", "Received invalid compressed data"],
  ];
  try {
    for (const [offer, send, code, name, reason] of cases) {
      events.length = 0;
      const client = await openRaw(server.port, "/echo", offer);
      try {
        send(client);
        const frame = await client.next();
        expect([reason, frame.opcode, frame.payload.readUInt16BE(0), frame.payload.subarray(2).toString()]).toEqual([reason, 8, code, reason]);
        await until(() => events.length === 2);
        expect(events).toEqual([`error:${code}:${name}:${reason}`, `close:${code}:${reason}`]);
      } finally {
        client.end();
      }
    }
  } finally {
    await server.close();
  }
});

// Slow readers: Bun's backpressureLimit is per server; each route's own bound decides, with 1008.

/** 64 KiB: past the first few MiB the kernel takes, a never-reading client's buffer grows by these. */
const CHUNK = new Uint8Array(64 * 1024);

/**
 * Calls `step` until `done` holds, at most `most` times, letting the event loop run every 16
 * calls; then waits up to a second for `done` (a close is reported a little later).
 */
async function flood(step: () => void, done: () => boolean, most: number): Promise<void> {
  for (let i = 0; i < most && !done(); i++) {
    step();
    if (i % 16 === 15) await Bun.sleep(1);
  }
  for (let i = 0; i < 100 && !done(); i++) await Bun.sleep(10);
}

/**
 * An app with a 256 KiB slow-reader bound and `/big` with its own 1 MiB (so Bun's server-wide
 * bound is 1 MiB); `/feed/:topic` and `/big` subscribe to their topic and greet. Each
 * connection is kept by path, and every event recorded as `path:event`.
 */
async function withSlowReaderServer(
  fn: (port: number, app: Rookery, conns: Map<string, Connection>, events: string[]) => Promise<void>,
): Promise<void> {
  const app = new Rookery({ maxBufferedAmount: 256 * 1024, logger: () => {} });
  const conns = new Map<string, Connection>();
  const events: string[] = [];
  const path = (conn: Connection) => new URL(conn.url).pathname;
  const greet = (topic: string) => (conn: Connection) => {
    conns.set(path(conn), conn);
    conn.subscribe(topic);
    conn.send("subscribed");
  };
  for (const route of [app.ws("/feed/:topic").onopen((conn) => greet(conn.params.topic)(conn)), app.ws("/big").maxBufferedAmount(1 << 20).onopen(greet("big"))]) {
    route
      .onerror((conn, e) => void events.push(`${path(conn)}:error:${e.code}:${e.name}:${e.message}`))
      .onclose((conn, reason, code) => void events.push(`${path(conn)}:close:${code}:${reason}`));
  }
  const server = await serve(app, { port: 0, hostname: "127.0.0.1" });
  try {
    await fn(server.port, app, conns, events);
  } finally {
    await server.close();
  }
}

/** A raw client on `path` that has read the greeting and reads nothing more. */
async function neverReading(port: number, path: string): Promise<RawClient> {
  const client = await openRaw(port, path, null);
  expect((await client.next()).payload.toString()).toBe("subscribed");
  client.pause();
  return client;
}

test("a subscriber that never reads fails with 1008 at its route's bound, for publishes large and small, from the app and from a connection", async () => {
  await withSlowReaderServer(async (port, app, conns, events) => {
    const overApp = "Send buffer over 262144 bytes: the client reads too slowly";
    const publisher = await openRaw(port, "/feed/other", null);
    await until(() => conns.has("/feed/other"));
    const cases: [topic: string, publish: () => void, most: number][] = [
      ["large", () => app.publish("large", CHUNK), 2_000],
      ["small", () => conns.get("/feed/other")!.publish("small", CHUNK.subarray(0, 1024)), 20_000],
    ];
    try {
      for (const [topic, publish, most] of cases) {
        events.length = 0;
        const client = await neverReading(port, `/feed/${topic}`);
        try {
          // The most the slow subscriber's send buffer held before each publish.
          let peak = 0;
          const watched = () => {
            const conn = conns.get(`/feed/${topic}`);
            if (conn?.readyState === 1) peak = Math.max(peak, conn.bufferedAmount);
            publish();
          };
          await flood(watched, () => events.length >= 2, most);
          // At the route's own bound (256 KiB), not Bun's server-wide one (1 MiB), and not a drop.
          expect(events).toEqual([`/feed/${topic}:error:1008:PolicyViolationError:${overApp}`, `/feed/${topic}:close:1008:${overApp}`]);
          expect(peak).toBeGreaterThan(0);
          expect(peak).toBeLessThan(1 << 20);
          expect(app.subscribers(topic)).toBe(0);
        } finally {
          client.end();
        }
      }
    } finally {
      publisher.end();
    }
  });
});

test("a route's maxBufferedAmount larger than the app's holds on Bun: not closed at the app's bound, then 1008 at its own", async () => {
  await withSlowReaderServer(async (port, app, conns, events) => {
    const client = await neverReading(port, "/big");
    try {
      const conn = conns.get("/big")!;
      // Past the app's 256 KiB, by direct sends: still open, and sends are still taken.
      await flood(() => void conn.send(CHUNK), () => conn.bufferedAmount > 512 * 1024 || events.length > 0, 2_000);
      const reached = conn.bufferedAmount;
      await Bun.sleep(100);
      expect([reached > 512 * 1024, conn.readyState, events]).toEqual([true, 1, []]);
      expect(conn.send(CHUNK)).not.toBe("dropped");
      // Publishes take it past its own 1 MiB.
      await flood(() => app.publish("big", CHUNK), () => events.length >= 2, 2_000);
      const overOwn = "Send buffer over 1048576 bytes: the client reads too slowly";
      expect(events).toEqual([`/big:error:1008:PolicyViolationError:${overOwn}`, `/big:close:1008:${overOwn}`]);
    } finally {
      client.end();
    }
  });
});

test("Bun's send results: an empty message or ping that went out is sent; a send Bun drops past the server's bound is dropped", async () => {
  const app = new Rookery({ maxBufferedAmount: 256 * 1024, slowReader: "drop", logger: () => {} });
  let conn: Connection | undefined;
  const events: string[] = [];
  app
    .ws("/")
    .onopen((c) => {
      conn = c;
      c.subscribe("news");
    })
    .onerror((_c, e) => void events.push(`error:${e.code}`))
    .onclose((_c, _reason, code) => void events.push(`close:${code}`));
  const server = await serve(app, { port: 0, hostname: "127.0.0.1" });
  const client = await openRaw(server.port, "/", null);
  try {
    await until(() => conn !== undefined);
    // Bun returns the payload bytes written: 0 for these too.
    expect([conn!.ping(), conn!.send(""), conn!.send(new Uint8Array(0))]).toEqual(["sent", "sent", "sent"]);
    expect((await client.next()).opcode).toBe(9);
    client.pause();
    // Publishes fill the buffer past Bun's bound without a send of the connection's own, so the
    // core has no backpressure to look for and leaves the next send to Bun, which drops it.
    await flood(() => app.publish("news", CHUNK), () => conn!.bufferedAmount > 256 * 1024, 2_000);
    expect([conn!.send(CHUNK), conn!.readyState]).toEqual(["dropped", 1]);
    // "drop" drops, and Bun closes nothing itself either.
    await Bun.sleep(100);
    expect([conn!.readyState, events]).toEqual([1, []]);
  } finally {
    client.end();
    await server.close();
  }
});

test("a frame sent before the 101: kept with a synchronous onaccept, but Bun answers it with its own 400 while an async onaccept runs", async () => {
  // RFC 6455 §4.1: a client waits for the 101 before it sends frames. Deno and Node keep such
  // bytes for the connection; Bun, while an upgrade waits on an async onaccept, reads them as the
  // next HTTP request and refuses that.
  const app = new Rookery({ logger: () => {} });
  const events: string[] = [];
  app.ws("/sync").onmessage((conn, m) => void conn.send(m));
  app
    .ws("/async")
    .onaccept(async () => {
      events.push("accept");
      await Bun.sleep(50);
      events.push("accepted");
      return true;
    })
    .onopen(() => void events.push("open"))
    .onclose(() => void events.push("close"));
  const server = await serve(app, { port: 0, hostname: "127.0.0.1" });
  const early = clientFrame(1, "early");
  try {
    const sync = await openRaw(server.port, "/sync", null, early);
    expect(sync.status).toBe("HTTP/1.1 101 Switching Protocols");
    expect((await sync.next()).payload.toString()).toBe("early");
    sync.end();
    const async = await openRaw(server.port, "/async", null, early);
    expect([async.status, async.headers.get("connection"), async.headers.get("content-length")]).toEqual(["HTTP/1.1 400 Bad Request", "close", undefined]);
    await async.ended;
    await Bun.sleep(100);
    expect(events).toEqual(["accept", "accepted"]);
  } finally {
    await server.close();
  }
});

// onerror after a drop runs from Bun's close, while the connection still reads as open: a
// subscribe there once put the socket back into the slow-reader records the close had just
// cleared, for good (found in review: 50 dropped clients, 50 connections never collected).
test("a subscribe inside onerror after a drop keeps nothing of the closed socket alive", async () => {
  const app = new Rookery({ logger: () => {} });
  const refs: WeakRef<object>[] = [];
  let closed = 0;
  app
    .ws("/w")
    .onopen((conn) => {
      conn.subscribe("room");
      refs.push(new WeakRef(conn));
    })
    .onerror((conn) => conn.subscribe("late"))
    .onclose(() => void closed++);
  const server = await serve(app, { port: 0, hostname: "127.0.0.1" });
  try {
    const count = 20;
    for (let i = 0; i < count; i++) {
      const raw = await openRaw(server.port, "/w", null);
      raw.end();
    }
    await until(() => closed === count);
    for (let i = 0; i < 5; i++) {
      Bun.gc(true);
      await Bun.sleep(20);
    }
    expect(refs.filter((r) => r.deref() !== undefined).length).toBeLessThan(count / 2);
    expect(app.subscribers("late")).toBe(0);
  } finally {
    await server.close();
  }
});
