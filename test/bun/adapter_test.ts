/** The Bun adapter with Bun's own WebSocket client, on Bun's test runner (`bun test test/bun`). */
import { expect, test } from "bun:test";
import { Rookery } from "../../mod.ts";
import { serve } from "../../adapters/bun.ts";

async function withServer(fn: (port: number, events: string[], app: Rookery) => Promise<void>): Promise<void> {
  const events: string[] = [];
  const app = new Rookery({ logger: () => {} });
  app
    .ws("/echo/:room")
    .maxPayload(1000)
    .subprotocols(["chat"])
    .onaccept((_req, params) => ({ data: { room: params.room } }))
    .onopen((conn) => {
      events.push(`open:${conn.data.room}:${conn.protocol}`);
      conn.subscribe(conn.data.room);
    })
    .onmessage((conn, message, isBinary) => {
      events.push(isBinary ? `binary:${(message as Uint8Array).byteLength}` : `text:${message as string}`);
      if (message === "close-me") conn.close(4000, "done");
      else if (message === "shout") conn.publish(conn.data.room, "shouted");
      else conn.send(message);
    })
    .onerror((_conn, error) => void events.push(`error:${error.code}`))
    .onclose((_conn, reason, code) => void events.push(`close:${code}:${reason}`));
  const server = await serve(app, { port: 0, hostname: "127.0.0.1" });
  try {
    await fn(server.port, events, app);
  } finally {
    await server.close();
  }
}

async function open(port: number) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/echo/lobby`, ["chat"]);
  ws.binaryType = "arraybuffer";
  const got: unknown[] = [];
  ws.onmessage = (e) => got.push(typeof e.data === "string" ? e.data : (e.data as ArrayBuffer).byteLength);
  const closed = new Promise<[number, string]>((r) => (ws.onclose = (e) => r([e.code, e.reason])));
  await new Promise((r, j) => {
    ws.onopen = r;
    ws.onerror = j;
  });
  return { ws, got, closed };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await Bun.sleep(10);
}

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
