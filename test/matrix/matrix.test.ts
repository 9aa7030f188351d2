/**
 * The cross-runtime matrix: the same fixture app under node, deno and bun, the same client
 * script, and the same expected transcript of server events and client observations, apart
 * from the differences listed in DIFFERENCES (and in the README's "Runtime differences").
 *
 * A fourth column, deno-node, is Deno serving with the Node adapter (`rookery/node` on Deno's
 * `node:http`). It is the strict way to serve on Deno, so it is held to Node's outcomes: none of
 * the Deno exceptions below apply to it.
 */
import { constants, inflateRawSync } from "node:zlib";
import { WebSocket } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import NodeWs from "ws";
import { DEFLATE_MAX_PAYLOAD } from "./fixture_app.ts";
import { clientFrame, closeBody, RawClient } from "../support/raw_client.ts";
import { type RunningServer, startServer, type Target } from "../../scripts/spawn_server.ts";

const RUNTIMES: Target[] = ["node", "deno", "bun", "deno-node"];

/** Protocol violations a client may commit, with the close code RFC 6455 asks for. */
const VIOLATIONS: [name: string, frame: Buffer, code: number, error: string][] = [
  ["unmasked frame", clientFrame(1, "x", { mask: false }), 1002, "ProtocolError"],
  ["reserved bit", clientFrame(1, "x", { rsv: 4 }), 1002, "ProtocolError"],
  ["reserved opcode", clientFrame(3, "x"), 1002, "ProtocolError"],
  ["control frame over 125 bytes", clientFrame(9, Buffer.alloc(126)), 1002, "ProtocolError"],
  ["continuation without a start", clientFrame(0, "x"), 1002, "ProtocolError"],
  ["invalid close code", clientFrame(8, closeBody(1005)), 1002, "ProtocolError"],
  ["invalid UTF-8", clientFrame(1, Buffer.from([0xff])), 1007, "InvalidPayloadError"],
  ["a 4 GiB length header on a 100-byte route", Buffer.from([0x82, 0xff, 0, 0, 0, 1, 0, 0, 0, 0]), 1009, "MessageTooBigError"],
];

/**
 * What a runtime forces to differ from the contract (each is in the README's "Runtime
 * differences" table). Deno never surfaces protocol errors to user code: it drops the TCP
 * connection (no close frame, except for a bad close code) and reports an error, so Rookery
 * sees 1006; and it accepts unmasked client frames.
 */
function violationOutcome(runtime: Target, name: string, code: number, error: string) {
  if (runtime === "deno") {
    if (name === "unmasked frame") return { server: ["open", "message:text:x", "message:text:after"], client: undefined };
    return {
      server: ["open", "error:1006:ConnectionLostError", "close:1006"],
      client: name === "invalid close code" ? 1002 : undefined,
    };
  }
  return { server: ["open", `error:${code}:${error}`, `close:${code}`], client: code };
}

let tagCounter = 0;
const newTag = (name: string) => `${name.replace(/\W+/g, "-")}-${++tagCounter}`;

/** The server transcript for `tag`, once it holds a close event (or after `ms` for none). */
async function serverEvents(port: number, tag: string, expectClose = true, ms = 5000): Promise<string[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const events = (await (await fetch(`http://127.0.0.1:${port}/events?t=${tag}`)).json()) as string[];
    if (expectClose ? events.some((e) => e.startsWith("close:")) : Date.now() > deadline) return events;
    if (Date.now() > deadline) throw new Error(`no close for ${tag}: ${JSON.stringify(events)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface Observed {
  open: boolean;
  protocol?: string;
  messages: string[];
  close?: { code: number; reason: string };
}

/** Runs a client script with undici's WebSocket and records what the client saw. */
async function undiciClient(
  port: number,
  path: string,
  script: (ws: WebSocket, observed: Observed) => Promise<void> | void,
  protocols: string[] = [],
): Promise<Observed> {
  const observed: Observed = { open: false, messages: [] };
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, protocols);
  ws.binaryType = "arraybuffer";
  ws.addEventListener("message", (e) =>
    observed.messages.push(typeof e.data === "string" ? `text:${e.data}` : `binary:${(e.data as ArrayBuffer).byteLength}`),
  );
  const closed = new Promise<void>((r) =>
    ws.addEventListener("close", (e) => {
      observed.close = { code: e.code, reason: e.reason };
      r();
    }),
  );
  const opened = await new Promise<boolean>((r) => {
    ws.addEventListener("open", () => r(true));
    ws.addEventListener("error", () => r(false));
  });
  observed.open = opened;
  if (opened) {
    observed.protocol = ws.protocol;
    await script(ws, observed);
  }
  await Promise.race([closed, new Promise((r) => setTimeout(r, 5000))]);
  return observed;
}

const until = async (check: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
};

/**
 * A `ws` client that offers compression and compresses whatever it is told to, however small.
 * Fails unless compression was agreed: without it every case below would pass on plain frames.
 */
async function deflateClient(port: number, path: string): Promise<NodeWs> {
  const ws = await new Promise<NodeWs>((resolve, reject) => {
    const client = new NodeWs(`ws://127.0.0.1:${port}${path}`, { perMessageDeflate: { threshold: 0 } });
    client.once("open", () => resolve(client));
    client.once("error", reject);
  });
  if (!ws.extensions.startsWith("permessage-deflate")) {
    ws.terminate();
    throw new Error(`permessage-deflate not agreed (Sec-WebSocket-Extensions: ${JSON.stringify(ws.extensions)})`);
  }
  return ws;
}

/** Collects every message `ws` receives, as `ws` hands it over. */
function collect(ws: NodeWs): { data: Buffer; isBinary: boolean }[] {
  const got: { data: Buffer; isBinary: boolean }[] = [];
  ws.on("message", (data: Buffer, isBinary: boolean) => void got.push({ data, isBinary }));
  return got;
}

/** A text of `size` UTF-8 bytes ("héllo wörld " is 14) with multi-byte characters in it, so a wrong cut shows. */
const textOf = (size: number) => "héllo wörld ".repeat(Math.floor(size / 14)) + "x".repeat(size % 14);
/** Binary that deflate shrinks but not to nothing, so a corrupted inflate shows. */
const bytesOf = (size: number) => Buffer.from(Array.from({ length: size }, (_, i) => (i * 31 + (i >> 8)) & 0xff));

describe.each(RUNTIMES)("matrix on %s", (runtime) => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer(runtime, "test/matrix/fixture_server.ts");
  }, 30_000);
  afterAll(() => server?.stop());

  const url = (path: string, tag: string) => `${path}${path.includes("?") ? "&" : "?"}t=${tag}`;

  it("onaccept false → 403, no server event", async () => {
    const tag = newTag("reject");
    const c = await RawClient.handshake(server.port, url("/reject", tag));
    expect(c.status).toBe(403);
    c.destroy();
    expect(await serverEvents(server.port, tag, false, 300)).toEqual([]);
  });

  it("accept with typed data and a chosen subprotocol", async () => {
    const tag = newTag("data");
    const seen = await undiciClient(
      server.port,
      url("/rooms/lobby?user=ann", tag),
      async (ws, o) => {
        await until(() => o.messages.length > 0);
        ws.close(1000);
      },
      ["other", "chat"],
    );
    expect(seen.protocol).toBe("chat");
    expect(seen.messages).toEqual([`text:${JSON.stringify({ data: { room: "lobby", user: "ann" }, protocol: "chat" })}`]);
    expect(await serverEvents(server.port, tag)).toEqual(["open:lobby:ann:chat", "close:1000:"]);
  });

  it("no subprotocol is selected when the client offers none the route speaks", async () => {
    const c = await RawClient.handshake(server.port, "/rooms/x", { "Sec-WebSocket-Protocol": "nope" });
    expect(c.status).toBe(101);
    expect(c.response).not.toMatch(/sec-websocket-protocol/i);
    c.destroy();
  });

  // RFC 6455 §4.1 lists the offer as comma-separated tokens: any whitespace around the commas
  // (Deno's own lookup once split at exactly ", " and answered 500).
  it.each(["other,chat", "other ,\tchat", "chat,other"])("the offer %j, however spaced, selects chat", async (offer) => {
    const c = await RawClient.handshake(server.port, "/rooms/x", { "Sec-WebSocket-Protocol": offer });
    expect(c.status).toBe(101);
    expect(c.response).toMatch(/^sec-websocket-protocol: chat\r?$/im);
    c.destroy();
  });

  it("headers onaccept returns are in the 101, with or without a subprotocol beside them", async () => {
    for (const offer of [{}, { "Sec-WebSocket-Protocol": "chat" }] as Record<string, string>[]) {
      const c = await RawClient.handshake(server.port, "/accept-headers", offer);
      expect(c.status).toBe(101);
      expect(c.response).toMatch(/^x-rookery-seat: 12A\r?$/im);
      expect(/^sec-websocket-protocol: chat\r?$/im.test(c.response)).toBe("Sec-WebSocket-Protocol" in offer);
      c.destroy();
    }
  });

  it("echo text and binary, then client close with code and reason", async () => {
    const tag = newTag("echo");
    const seen = await undiciClient(server.port, url("/echo", tag), async (ws, o) => {
      ws.send("héllo 😀");
      ws.send(new Uint8Array(300));
      await until(() => o.messages.length === 2);
      ws.close(4001, "bye");
    });
    expect(seen.messages).toEqual(["text:héllo 😀", "binary:300"]);
    expect(seen.close?.code).toBe(4001);
    expect(await serverEvents(server.port, tag)).toEqual(["open", "message:text:héllo 😀", "message:binary:300", "close:4001:bye"]);
  });

  it("client close without a code → 1005", async () => {
    const tag = newTag("close-nocode");
    await undiciClient(server.port, url("/echo", tag), (ws) => ws.close());
    expect(await serverEvents(server.port, tag)).toEqual(["open", "close:1005:"]);
  });

  it("server close with code and reason", async () => {
    const tag = newTag("server-close");
    const seen = await undiciClient(server.port, url("/echo", tag), (ws) => ws.send("close-me"));
    expect(seen.close).toEqual({ code: 4000, reason: "done" });
    expect(await serverEvents(server.port, tag)).toEqual(["open", "message:text:close-me", "close:4000:done"]);
  });

  it("a handler that throws → 1011", async () => {
    const tag = newTag("throw");
    const seen = await undiciClient(server.port, url("/echo", tag), (ws) => ws.send("throw"));
    expect(seen.close?.code).toBe(1011);
    expect(await serverEvents(server.port, tag)).toEqual([
      "open",
      "message:text:throw",
      "error:1011:HandlerError",
      "close:1011:internal error",
    ]);
  });

  it("onopen that throws → 1011, no message handler", async () => {
    const tag = newTag("throw-open");
    const seen = await undiciClient(server.port, url("/throw-open", tag), () => {});
    expect(seen.close?.code).toBe(1011);
    expect(await serverEvents(server.port, tag)).toEqual(["error:1011:HandlerError", "close:1011:internal error"]);
  });

  it.each([
    ["route limit (100) exceeded", "/route-limit", 101],
    ["app limit (1000) exceeded", "/app-limit", 1001],
  ])("%s → 1009, the message never delivered", async (_name, path, size) => {
    const tag = newTag(path);
    const seen = await undiciClient(server.port, url(path, tag), (ws) => ws.send(new Uint8Array(size)));
    const limit = size - 1;
    expect(seen.close?.code).toBe(1009);
    expect(await serverEvents(server.port, tag)).toEqual([
      "open",
      "error:1009:MessageTooBigError",
      `close:1009:Message over the limit of ${limit} bytes`,
    ]);
  });

  it("exactly the limit passes; route Infinity overrides the app limit", async () => {
    const tags = [newTag("at-limit"), newTag("unlimited")];
    const a = await undiciClient(server.port, url("/route-limit", tags[0]!), async (ws, o) => {
      ws.send(new Uint8Array(100));
      await until(() => o.messages.length > 0);
      ws.close(1000);
    });
    const b = await undiciClient(server.port, url("/unlimited", tags[1]!), async (ws, o) => {
      ws.send(new Uint8Array(200_000));
      await until(() => o.messages.length > 0);
      ws.close(1000);
    });
    expect([a.messages, b.messages]).toEqual([["binary:100"], ["binary:200000"]]);
  });

  it("an unlimited route takes 17 MiB (Bun's own 16 MiB default does not leak through)", async () => {
    const tag = newTag("17mib");
    const seen = await undiciClient(server.port, url("/unlimited", tag), async (ws, o) => {
      ws.send(new Uint8Array(17 << 20));
      await until(() => o.messages.length > 0, 15_000);
      ws.close(1000);
    });
    expect(seen.messages).toEqual([`binary:${17 << 20}`]);
  });

  it("a send over the buffer's high-water mark reports backpressure, then ondrain runs", async () => {
    const tag = newTag("flood");
    const seen = await undiciClient(server.port, url("/flood", tag), async (ws, o) => {
      // The server says when ondrain ran; closing earlier could race it (Deno polls for drain).
      await until(() => o.messages.includes("text:drained"), 15_000);
      ws.close(1000);
    });
    // As many 1 MiB messages as it took to meet backpressure, every one delivered, then the reply.
    const sent = seen.messages.length - 1;
    expect(sent).toBeGreaterThanOrEqual(1);
    expect(seen.messages).toEqual([...Array(sent).fill(`binary:${1 << 20}`), "text:drained"]);
    expect(await serverEvents(server.port, tag)).toEqual(["backpressure", "drain", "close:1000:"]);
  });

  describe("topics", () => {
    /** Opens `n` clients in one room; resolves once each is subscribed (seen through "count"). */
    async function join(room: string, n: number) {
      const clients: { ws: WebSocket; got: string[] }[] = [];
      for (let i = 0; i < n; i++) {
        const ws = new WebSocket(`ws://127.0.0.1:${server.port}/topics/${room}`);
        ws.binaryType = "arraybuffer";
        const got: string[] = [];
        ws.addEventListener("message", (e) =>
          got.push(typeof e.data === "string" ? e.data : `bin:${[...new Uint8Array(e.data as ArrayBuffer)].join(",")}`),
        );
        await new Promise((r) => ws.addEventListener("open", r));
        clients.push({ ws, got });
      }
      const probe = clients[0]!;
      probe.ws.send("count");
      await until(() => probe.got.length > 0);
      expect(probe.got.shift()).toBe(`count:${n}:${room}`);
      return clients;
    }

    it("conn.publish reaches every other subscriber, never the sender; app.publish reaches all", async () => {
      const [a, b, c] = await join("r1", 3);
      a!.ws.send("hello");
      b!.ws.send("all:news");
      c!.ws.send("bin");
      await until(() => a!.got.length >= 2 && b!.got.length >= 3 && c!.got.length >= 2);
      // Any message to a sender would have arrived with the rest by now.
      await new Promise((r) => setTimeout(r, 50));
      expect(a!.got.sort()).toEqual(["bin:0,255,7", "news"]);
      expect(b!.got.sort()).toEqual(["bin:0,255,7", "hello", "news"]);
      expect(c!.got.sort()).toEqual(["hello", "news"]);
      for (const x of [a, b, c]) x!.ws.close();
    });

    it("subscriptions end with the connection", async () => {
      const [a, b] = await join("r2", 2);
      const closed = new Promise((r) => b!.ws.addEventListener("close", r));
      b!.ws.close();
      await closed;
      await new Promise((r) => setTimeout(r, 100));
      a!.ws.send("count");
      await until(() => a!.got.length > 0);
      expect(a!.got).toEqual(["count:1:r2"]);
      a!.ws.close();
    });
  });

  it("allowedOrigins: another origin gets 403 before onaccept; the allowed one and non-browsers connect", async () => {
    const evil = await RawClient.handshake(server.port, url("/origin-only", newTag("evil")), { Origin: "https://evil.example" });
    const good = await RawClient.handshake(server.port, url("/origin-only", newTag("good")), { Origin: "https://good.example" });
    const none = await RawClient.handshake(server.port, url("/origin-only", newTag("none")));
    expect([evil.status, good.status, none.status]).toEqual([403, 101, 101]);
    for (const c of [evil, good, none]) c.destroy();
  });

  it("a client that never reads is closed with 1008 once its send buffer passes maxBufferedAmount", async () => {
    const tag = newTag("slow-reader");
    const c = await RawClient.handshake(server.port, url("/slow-reader", tag));
    c.socket.pause();
    expect(await serverEvents(server.port, tag, true, 15_000)).toEqual(["open", "error:1008:PolicyViolationError", "close:1008"]);
    c.destroy();
  });

  it("abrupt TCP drop → onerror 1006, onclose 1006", async () => {
    const tag = newTag("drop");
    const c = await RawClient.handshake(server.port, url("/echo", tag));
    c.write(clientFrame(1, "hi"));
    await c.until(() => c.frames.length > 0);
    c.destroy();
    expect(await serverEvents(server.port, tag)).toEqual([
      "open",
      "message:text:hi",
      "error:1006:ConnectionLostError",
      "close:1006:",
    ]);
  });

  describe("heartbeats and terminate", () => {
    // Deno's native WebSocket neither sends pings nor reports pongs (it answers and eats them).
    const pings = runtime !== "deno";

    it("conn.ping reaches the client, and its pong reaches onpong, in order with messages", async () => {
      const tag = newTag("heartbeat");
      const c = await RawClient.handshake(server.port, url("/heartbeat", tag));
      if (pings) {
        await c.until(() => c.frames.some((f) => f.opcode === 9));
        expect(c.frames.find((f) => f.opcode === 9)!.payload.toString()).toBe("hi");
      }
      // The raw client does not answer pings by itself: pongs are written by hand, around a message.
      c.write(Buffer.concat([clientFrame(10, "hi"), clientFrame(1, "ping"), clientFrame(10, Uint8Array.of(1, 2, 3))]));
      c.write(clientFrame(8, closeBody(1000)));
      await c.closed();
      const expected = pings
        ? ["ping:sent", "pong:104,105", "message:ping", "ping:sent", "pong:1,2,3", "close:1000:"]
        : ["ping:dropped", "message:ping", "ping:dropped", "close:1000:"];
      expect(await serverEvents(server.port, tag)).toEqual(expected);
    });

    it("a client's unsolicited pong is a heartbeat onpong sees", async () => {
      const tag = newTag("unsolicited");
      const c = await RawClient.handshake(server.port, url("/heartbeat", tag));
      c.write(clientFrame(10, "beat"));
      c.write(clientFrame(8, closeBody(1000)));
      await c.closed();
      const events = await serverEvents(server.port, tag);
      expect(events.includes("pong:98,101,97,116")).toBe(pings);
    });

    it("conn.terminate drops the connection: onclose 1006 with no onerror, the client sees no clean close", async () => {
      const tag = newTag("terminate");
      const ws = new NodeWs(`ws://127.0.0.1:${server.port}${url("/heartbeat", tag)}`);
      await new Promise((r) => ws.once("open", r));
      const closed = new Promise<number>((r) => ws.once("close", (code: number) => r(code)));
      ws.send("bye");
      // ws reports 1006 for a dropped connection; Deno cannot drop one and closes without a status (1005).
      expect(await closed).toBe(runtime === "deno" ? 1005 : 1006);
      // ws answers the opening ping by itself: whether its pong lands before the drop is a race.
      const events = (await serverEvents(server.port, tag)).filter((e) => e !== "pong:104,105");
      expect(events).toEqual(["ping:" + (pings ? "sent" : "dropped"), "message:bye", "close:1006:"]);
    });
  });

  it("a raw close frame with a reason is echoed and reported", async () => {
    const tag = newTag("raw-close");
    const c = await RawClient.handshake(server.port, url("/echo", tag));
    c.write(clientFrame(8, closeBody(4002, "raw bye")));
    // Echoed with its reason on every runtime.
    expect(await c.closed()).toEqual({ code: 4002, reason: "raw bye" });
    expect(await serverEvents(server.port, tag)).toEqual(["open", "close:4002:raw bye"]);
  });

  it("a text message starting with U+FEFF keeps it, in onmessage and in the echo (no BOM stripping)", async () => {
    const tag = newTag("bom");
    const c = await RawClient.handshake(server.port, url("/echo", tag));
    c.write(clientFrame(1, "\uFEFFhi"));
    await c.until(() => c.frames.length === 1);
    expect(Buffer.from(c.frames[0]!.payload).toString("hex")).toBe("efbbbf6869");
    c.write(clientFrame(8, closeBody(1000)));
    await c.closed();
    expect(await serverEvents(server.port, tag)).toEqual(["open", "message:text:\uFEFFhi", "close:1000:"]);
  });

  it.each(VIOLATIONS)("protocol violation: %s", async (name, frame, code, error) => {
    const tag = newTag(name);
    const c = await RawClient.handshake(server.port, url("/route-limit", tag));
    c.write(frame);
    c.write(clientFrame(1, "after"));
    const expected = violationOutcome(runtime, name, code, error);
    if (expected.client !== undefined) {
      await c.closed();
      expect(c.close?.code).toBe(expected.client);
    } else await c.until(() => c.ended || c.frames.length === 2, 3000);
    const events = await serverEvents(server.port, tag, expected.server.some((e) => e.startsWith("close")), 500);
    // Close reasons of protocol errors are each runtime's own words; codes and order are compared.
    expect(events.map((e) => (e.startsWith("close:") ? e.split(":").slice(0, 2).join(":") : e))).toEqual(expected.server);
    c.destroy();
  });

  describe("handshake checked by Rookery before the runtime upgrades", () => {
    it.each([
      ["no Connection: Upgrade", { Connection: "keep-alive" }, 400],
      ["a 15-byte key", { "Sec-WebSocket-Key": btoa("x".repeat(15)) }, 400],
      ["a 17-byte key", { "Sec-WebSocket-Key": btoa("x".repeat(17)) }, 400],
      ["version 8", { "Sec-WebSocket-Version": "8" }, 426],
      ["no version", { "Sec-WebSocket-Version": null }, 426],
      ["a plain GET", { Upgrade: null, Connection: null }, 426],
    ])("%s → %i", async (_name, headers, status) => {
      const c = await RawClient.handshake(server.port, "/echo", headers);
      expect(c.status).toBe(status);
      c.destroy();
    });
  });

  it("routes match the normalized path, as a URL resolves it (dot segments included)", async () => {
    const c = await RawClient.handshake(server.port, "/x/../echo");
    expect(c.status).toBe(101);
    c.destroy();
  });

  it("HTTP: an unknown path goes to the fallback (404 here), a fallback route answers", async () => {
    expect((await fetch(`http://127.0.0.1:${server.port}/nowhere`)).status).toBe(404);
    const hello = await fetch(`http://127.0.0.1:${server.port}/hello`);
    expect(await hello.text()).toBe(`hello from ${runtime}`);
  });

  // Deno's native adapter cannot compress (Deno.upgradeWebSocket has no permessage-deflate) and
  // refuses to serve an app that asks for it, so the fixture has no /deflate there. Compression
  // on Deno is the deno-node column's.
  describe.skipIf(runtime === "deno")("compression (permessage-deflate)", () => {
    it("a ws client that offers it gets it; a client that does not, or a route without it, gets none", async () => {
      const ws = await deflateClient(server.port, "/deflate");
      expect(ws.extensions).toMatch(/^permessage-deflate/);
      ws.close();
      const plain = await RawClient.handshake(server.port, "/deflate");
      expect(plain.status).toBe(101);
      expect(plain.response).not.toMatch(/sec-websocket-extensions/i);
      plain.destroy();
      // Bun negotiates compression per server, not per route: this is where that would show.
      const offered = await RawClient.handshake(server.port, "/echo", { "Sec-WebSocket-Extensions": "permessage-deflate" });
      expect(offered.status).toBe(101);
      expect(offered.response).not.toMatch(/sec-websocket-extensions/i);
      offered.destroy();
    });

    it("echo from 0 B to 1 MiB, text and binary, sent compressed and not", async () => {
      const ws = await deflateClient(server.port, "/deflate");
      const got = collect(ws);
      let expected = 0;
      for (const size of [0, 1, 1023, 1024, 65_536, DEFLATE_MAX_PAYLOAD]) {
        for (const compress of [true, false]) {
          const text = textOf(size);
          const binary = bytesOf(size);
          ws.send(text, { compress });
          ws.send(binary, { compress });
          expected += 2;
          await until(() => got.length === expected, 10_000);
          const [t, b] = got.slice(-2);
          expect([t?.isBinary, t?.data.toString() === text], `text ${size} compress ${compress}`).toEqual([false, true]);
          expect([b?.isBinary, b?.data.equals(binary)], `binary ${size} compress ${compress}`).toEqual([true, true]);
        }
      }
      expect(got.length).toBe(expected);
      ws.close();
    });

    it("100 messages, compressed and plain interleaved, come back in order", async () => {
      const ws = await deflateClient(server.port, "/deflate");
      const got = collect(ws);
      // Large compressed messages take longer to inflate than the small plain ones behind them:
      // a codec that delivered whatever is ready first would reorder them.
      const sent = Array.from({ length: 100 }, (_, i) => `${i}:${"z".repeat(i % 3 === 0 ? 20_000 : i)}`);
      sent.forEach((m, i) => ws.send(m, { compress: i % 2 === 0 }));
      await until(() => got.length === sent.length, 10_000);
      expect(got.map((m) => m.data.toString())).toEqual(sent);
      ws.close();
    });

    it("replies of at least the threshold (1 KiB) go out compressed, smaller ones plain", async () => {
      const c = await RawClient.handshake(server.port, "/deflate", { "Sec-WebSocket-Extensions": "permessage-deflate" });
      expect(c.status).toBe(101);
      expect(c.response).toMatch(/\r\nsec-websocket-extensions: permessage-deflate/i);
      c.write(clientFrame(1, textOf(2048)));
      c.write(clientFrame(1, "small"));
      await c.until(() => c.frames.length === 2);
      const [big, small] = c.frames;
      const inflated = inflateRawSync(Buffer.concat([big!.payload, Buffer.from([0, 0, 0xff, 0xff])]), {
        finishFlush: constants.Z_SYNC_FLUSH,
      });
      expect([big!.rsv1, inflated.toString(), big!.payload.length < 2048]).toEqual([true, textOf(2048), true]);
      expect([small!.rsv1, small!.payload.toString()]).toEqual([false, "small"]);
      c.destroy();
    });

    it("a compressed message that inflates past the route's maxPayload closes with 1009", async () => {
      const tag = newTag("deflate-bomb");
      const ws = await deflateClient(server.port, url("/deflate", tag));
      const got = collect(ws);
      const closed = new Promise<number>((r) => ws.once("close", (code: number) => r(code)));
      // 4 MiB of zeros is a few KiB on the wire, far under the limit: only inflating finds it.
      ws.send(new Uint8Array(4 * DEFLATE_MAX_PAYLOAD), { compress: true });
      expect(await closed).toBe(1009);
      expect(got).toEqual([]);
      // The client answered the close frame and ended TCP at once, so onclose must not wait for
      // the fixture's closeTimeout (5 s), as it does after a 1009 found at the frame header.
      expect(await serverEvents(server.port, tag, true, 2000)).toEqual([
        "open",
        "error:1009:MessageTooBigError",
        `close:1009:Message over the limit of ${DEFLATE_MAX_PAYLOAD} bytes`,
      ]);
    });
  });
});
