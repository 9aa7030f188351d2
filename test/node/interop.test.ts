/** The Node adapter against WebSocket clients nobody here wrote: undici's and the `ws` package's. */
import { WebSocket as UndiciWebSocket } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WsClient from "ws";
import { serve, type ServerHandle } from "../../adapters/node.ts";
import { EventLog, quietApp, recordRoute } from "../support/event_log.ts";

let server: ServerHandle;
let log: EventLog;

beforeAll(async () => {
  log = new EventLog();
  const app = quietApp();
  recordRoute(app.ws("/echo").subprotocols(["chat"]), log, (conn, m) => {
    if (typeof m === "string" && m.startsWith("close:")) {
      const [, code, reason] = m.split(":");
      conn.close(Number(code), reason ?? "");
    } else conn.send(m);
  });
  server = await serve(app, { hostname: "127.0.0.1" });
});
afterAll(() => server.close());

/** A tiny common face over both clients. */
interface TestClient {
  protocol: string;
  send(m: string | Uint8Array): void;
  next(): Promise<{ data: string | Uint8Array; binary: boolean }>;
  close(code?: number, reason?: string): void;
  closed: Promise<{ code: number; reason: string }>;
}

async function undici(path: string, protocols: string[] = []): Promise<TestClient> {
  const ws = new UndiciWebSocket(`ws://127.0.0.1:${server.port}${path}`, protocols);
  ws.binaryType = "arraybuffer";
  const queue: { data: unknown }[] = [];
  let wake: (() => void) | undefined;
  ws.addEventListener("message", (e) => {
    queue.push(e);
    wake?.();
  });
  const closed = new Promise<{ code: number; reason: string }>((r) =>
    ws.addEventListener("close", (e) => r({ code: e.code, reason: e.reason })),
  );
  await new Promise((resolve, reject) => {
    ws.addEventListener("open", resolve);
    ws.addEventListener("error", reject);
  });
  return {
    get protocol() {
      return ws.protocol;
    },
    send: (m) => ws.send(m),
    async next() {
      while (queue.length === 0) await new Promise<void>((r) => (wake = r));
      const e = queue.shift()!;
      return typeof e.data === "string" ? { data: e.data, binary: false } : { data: new Uint8Array(e.data as ArrayBuffer), binary: true };
    },
    close: (code, reason) => ws.close(code, reason),
    closed,
  };
}

async function wsPackage(path: string, protocols: string[] = []): Promise<TestClient> {
  const ws = new WsClient(`ws://127.0.0.1:${server.port}${path}`, protocols);
  const queue: { data: string | Uint8Array; binary: boolean }[] = [];
  let wake: (() => void) | undefined;
  ws.on("message", (data: Buffer, isBinary: boolean) => {
    queue.push(isBinary ? { data: new Uint8Array(data), binary: true } : { data: data.toString(), binary: false });
    wake?.();
  });
  const closed = new Promise<{ code: number; reason: string }>((r) =>
    ws.on("close", (code: number, reason: Buffer) => r({ code, reason: reason.toString() })),
  );
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  return {
    get protocol() {
      return ws.protocol;
    },
    send: (m) => ws.send(m),
    async next() {
      while (queue.length === 0) await new Promise<void>((r) => (wake = r));
      return queue.shift()!;
    },
    close: (code, reason) => ws.close(code, reason),
    closed,
  };
}

describe.each([
  ["undici WebSocket", undici],
  ["ws client", wsPackage],
])("interop with the %s", (_name, open) => {
  it("text round trip, including non-ASCII", async () => {
    const c = await open("/echo");
    c.send("héllo wörld 😀");
    expect(await c.next()).toEqual({ data: "héllo wörld 😀", binary: false });
    c.close();
    await c.closed;
  });

  it("binary round trip, byte-exact", async () => {
    const c = await open("/echo");
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => i % 251);
    c.send(bytes);
    expect(await c.next()).toEqual({ data: bytes, binary: true });
    c.close();
    await c.closed;
  });

  it("a 4 MiB message each way", async () => {
    const c = await open("/echo");
    const big = new Uint8Array(4 << 20).map((_, i) => (i * 31) & 0xff);
    c.send(big);
    const back = await c.next();
    expect(back.binary).toBe(true);
    expect(Buffer.compare(Buffer.from(back.data as Uint8Array), Buffer.from(big))).toBe(0);
    c.close();
    await c.closed;
  });

  it("messages stay in order", async () => {
    const c = await open("/echo");
    for (let i = 0; i < 200; i++) c.send(`#${i}`);
    for (let i = 0; i < 200; i++) expect((await c.next()).data).toBe(`#${i}`);
    c.close();
    await c.closed;
  });

  it("subprotocol negotiation", async () => {
    const c = await open("/echo", ["other", "chat"]);
    expect(c.protocol).toBe("chat");
    c.close();
    await c.closed;
  });

  it("client close with code and reason reaches onclose", async () => {
    const before = log.all.length;
    const c = await open("/echo");
    c.close(4001, "client leaving");
    expect((await c.closed).code).toBe(4001);
    expect(await log.closed(before)).toEqual(["open", "close:4001:client leaving"]);
  });

  it("client close without a code reports 1005 on both sides", async () => {
    const before = log.all.length;
    const c = await open("/echo");
    c.close();
    expect((await c.closed).code).toBe(1005);
    expect(await log.closed(before)).toEqual(["open", "close:1005:"]);
  });

  it("server close with code and reason reaches the client", async () => {
    const before = log.all.length;
    const c = await open("/echo");
    c.send("close:4321:server says bye");
    expect(await c.closed).toEqual({ code: 4321, reason: "server says bye" });
    expect(await log.closed(before)).toEqual(["open", "message:text:close:4321:server says bye", "close:4321:server says bye"]);
  });
});
