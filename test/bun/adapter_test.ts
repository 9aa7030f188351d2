/** The Bun adapter with Bun's own WebSocket client, on Bun's test runner (`bun test test/bun`). */
import { expect, test } from "bun:test";
import type { Rookery } from "../../mod.ts";
import { openWebClient, roomEchoApp, until } from "../support/web_client.ts";
import { handlers, serve } from "../../adapters/bun.ts";
import { extensionParams, openRaw, type RawClient, type RawFrame } from "./raw_client.ts";

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
