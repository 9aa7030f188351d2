/**
 * The Deno adapter with Deno's own WebSocket client, on Deno's test runner (`deno task test`).
 */
import { Rookery } from "../../mod.ts";
import { openWebClient, roomEchoApp, until } from "../support/web_client.ts";
import { handler, serve } from "../../adapters/deno.ts";
import { openRaw } from "./raw_client.ts";

function assertEquals(actual: unknown, expected: unknown): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    throw new Error(`expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

async function withServer(fn: (port: number, events: string[]) => Promise<void>): Promise<void> {
  const events: string[] = [];
  const app = roomEchoApp(events);
  const server = await serve(app, { port: 0, hostname: "127.0.0.1" });
  try {
    await fn(server.port, events);
  } finally {
    await server.close();
  }
}

const open = (port: number) => openWebClient(`ws://127.0.0.1:${port}/echo/lobby`, ["chat"]);

Deno.test("Deno client: echo text and binary, typed data, subprotocol, client close", async () => {
  await withServer(async (port, events) => {
    const { ws, got, closed } = await open(port);
    assertEquals(ws.protocol, "chat");
    ws.send("héllo");
    ws.send(new Uint8Array(300));
    await until(() => got.length === 2);
    assertEquals(got, ["héllo", 300]);
    ws.close(4001, "bye");
    await closed;
    await until(() => events.length === 4);
    assertEquals(events, ["open:lobby:chat", "text:héllo", "binary:300", "close:4001:bye"]);
  });
});

Deno.test("Deno client: server close with code and reason", async () => {
  await withServer(async (port, events) => {
    const { ws, closed } = await open(port);
    ws.send("close-me");
    assertEquals(await closed, [4000, "done"]);
    await until(() => events.length === 3);
    assertEquals(events, ["open:lobby:chat", "text:close-me", "close:4000:done"]);
  });
});

Deno.test("Deno client: a message over the route limit closes with 1009", async () => {
  await withServer(async (port, events) => {
    const { ws, closed } = await open(port);
    ws.send(new Uint8Array(1001));
    assertEquals((await closed)[0], 1009);
    await until(() => events.length === 3);
    assertEquals(events, ["open:lobby:chat", "error:1009", "close:1009:Message over the limit of 1000 bytes"]);
  });
});

Deno.test("reusePort without --unstable-net throws a TypeError instead of letting Deno exit", async () => {
  // This suite runs without --unstable-net (package.json's deno task), which is the case to cover.
  let error: unknown;
  try {
    await serve(roomEchoApp([]), { port: 0, hostname: "127.0.0.1", reusePort: true });
  } catch (e) {
    error = e;
  }
  if (!(error instanceof TypeError) || !/--unstable-net/.test(error.message)) throw new Error(`expected a TypeError, got ${error}`);
});

Deno.test("a fallback that upgrades its own path (a 101 from Deno.upgradeWebSocket) is passed through untouched", async () => {
  const app = roomEchoApp([]);
  const server = await serve(app, {
    port: 0,
    hostname: "127.0.0.1",
    fetch: (req) => {
      if (new URL(req.url).pathname !== "/own") return new Response("not found", { status: 404 });
      const { socket, response } = Deno.upgradeWebSocket(req);
      socket.onmessage = (e) => socket.send(`own:${e.data}`);
      return response;
    },
  });
  try {
    const own = await openWebClient(`ws://127.0.0.1:${server.port}/own`);
    own.ws.send("hi");
    await until(() => own.got.length === 1);
    assertEquals(own.got, ["own:hi"]);
    own.ws.close();
    await own.closed;
    const rookery = await open(server.port);
    rookery.ws.send("still Rookery's");
    await until(() => rookery.got.length === 1);
    assertEquals(rookery.got, ["still Rookery's"]);
    rookery.ws.close();
    await rookery.closed;
  } finally {
    await server.close();
  }
});

/** Whether `run` failed with a TypeError that sends compression to the Node adapter, naming `where`. */
async function refusesCompression(run: () => unknown, where: string): Promise<void> {
  let error: unknown;
  try {
    await run();
  } catch (e) {
    error = e;
  }
  if (!(error instanceof TypeError)) throw new Error(`expected a TypeError, got ${error}`);
  for (const part of [`perMessageDeflate is on (${where})`, "Deno.upgradeWebSocket cannot compress", 'import { serve } from "rookery/node"']) {
    if (!error.message.includes(part)) throw new Error(`expected the error to say ${JSON.stringify(part)}, got ${JSON.stringify(error.message)}`);
  }
}

Deno.test("compression: serve() rejects and handler() throws a TypeError that sends it to the Node adapter", async () => {
  const appWide = new Rookery({ perMessageDeflate: true, logger: () => {} });
  appWide.ws("/a").perMessageDeflate(false);
  const onRoute = new Rookery({ logger: () => {} });
  onRoute.ws("/plain");
  onRoute.ws("/packed").perMessageDeflate({ threshold: 0 });
  for (const [app, where] of [[appWide, "app-wide"], [onRoute, "on route /packed"]] as const) {
    let served: Promise<unknown> | undefined;
    await refusesCompression(() => (served = serve(app, { port: 0, hostname: "127.0.0.1" })), where);
    // A rejection, like every other failure to start: never a throw from serve itself.
    if (!(served instanceof Promise)) throw new Error("serve threw instead of rejecting");
    await refusesCompression(() => handler(app), where);
  }
});

Deno.test("compression: a route that turns it on after handler() is served uncompressed, logged once", async () => {
  const logged: string[] = [];
  const app = new Rookery({ logger: (message) => void logged.push(message) });
  app.ws("/early").onmessage((conn, m) => void conn.send(m));
  const fetch = handler(app);
  app.ws("/late").perMessageDeflate(true).onmessage((conn, m) => void conn.send(m));
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, fetch);
  try {
    const text = "rookery ".repeat(1280);
    for (let i = 0; i < 2; i++) {
      const client = await openRaw(server.addr.port, "/late", "permessage-deflate; client_max_window_bits");
      assertEquals(client.status, "HTTP/1.1 101 Switching Protocols");
      assertEquals(client.headers.get("sec-websocket-extensions"), null);
      await client.sendText(text);
      const frame = await client.next();
      assertEquals([frame.opcode, frame.rsv1, new TextDecoder().decode(frame.payload) === text], [1, false, true]);
      client.close();
    }
    assertEquals(logged.length, 1);
    if (!logged[0]!.includes("Route /late has perMessageDeflate on, but Deno.upgradeWebSocket cannot compress")) {
      throw new Error(`unexpected log line: ${logged[0]}`);
    }
  } finally {
    await app.close();
    await server.shutdown();
  }
});

Deno.test("compression through the Node adapter on Deno: Deno's own client is served (it offers no compression), a ws-style offer is agreed", async () => {
  const { serve: serveNode } = await import("../../adapters/node.ts");
  const app = new Rookery({ perMessageDeflate: { threshold: 0 }, logger: () => {} });
  app.ws("/echo").onmessage((conn, message) => void conn.send(message));
  const server = await serveNode(app, { port: 0, hostname: "127.0.0.1", closeTimeout: 500 });
  try {
    const { ws, got, closed } = await openWebClient(`ws://127.0.0.1:${server.port}/echo`);
    const text = "compressible line ".repeat(600);
    ws.send(text);
    await until(() => got.length === 1);
    assertEquals(got, [text]);
    // Deno's client offers no permessage-deflate, so nothing was agreed and nothing compressed.
    assertEquals(ws.extensions, "");
    ws.close(1000);
    await closed;
    const raw = await openRaw(server.port, "/echo", "permessage-deflate; client_max_window_bits");
    assertEquals(raw.headers.get("sec-websocket-extensions"), "permessage-deflate");
    await raw.sendText("x".repeat(100));
    const reply = await raw.next();
    // threshold 0: the reply comes back compressed.
    assertEquals(reply.rsv1, true);
    raw.close();
  } finally {
    await server.close();
  }
});
