/** The Bun adapter with Bun's own WebSocket client, on Bun's test runner (`bun test test/bun`). */
import { expect, test } from "bun:test";
import type { Rookery } from "../../mod.ts";
import { openWebClient, roomEchoApp, until } from "../support/web_client.ts";
import { handlers, serve } from "../../adapters/bun.ts";

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
