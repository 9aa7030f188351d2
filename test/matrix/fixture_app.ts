/**
 * The matrix fixture: one app exercising every contract path, identical on every runtime.
 * Server-side events are recorded per connection under the `t` query parameter of its URL and
 * read back over plain HTTP (`GET /events?t=TAG`), the side channel the runner uses.
 */
import { type Broker, type Connection, httpVersionOf, Rookery } from "../../mod.ts";
import { collectedMemory } from "../support/collected_memory.ts";
import { addFlowRoutes } from "./fixture_flow.ts";

export interface FixtureOptions {
  idleTimeout?: number;
  /** Shares the topic routes with other instances (the scale-out suite). */
  broker?: Broker;
  /**
   * Adds `/deflate`, an echo with compression on. Only where the adapter can compress: Deno's
   * native adapter refuses to serve an app that asks for it.
   */
  deflate?: boolean;
}

/** `/deflate`'s limit: the largest message its cases echo, so one that inflates past it is a 1009. */
export const DEFLATE_MAX_PAYLOAD = 1 << 20;

export function fixtureApp(runtime: string, { idleTimeout, broker, deflate = false }: FixtureOptions = {}): {
  app: Rookery;
  fetch: (req: Request) => Response;
  transcripts: () => Record<string, string[]>;
} {
  const events = new Map<string, string[]>();
  const record = (conn: Connection<unknown, unknown>, event: string) => {
    const tag = new URL(conn.url).searchParams.get("t") ?? "";
    const list = events.get(tag) ?? [];
    list.push(event);
    events.set(tag, list);
  };

  const app = new Rookery({
    maxPayload: 1000,
    logger: () => {},
    ...(idleTimeout === undefined ? {} : { idleTimeout }),
    ...(broker === undefined ? {} : { broker }),
  });
  const echo = (conn: Connection<unknown, unknown>, message: string | Uint8Array) => {
    if (message === "close-me") return conn.close(4000, "done");
    if (message === "throw") throw new Error("handler bug");
    conn.send(message);
  };
  for (const [pattern, limit] of [
    ["/echo", undefined],
    ["/route-limit", 100],
    ["/app-limit", undefined],
    ["/unlimited", Infinity],
  ] as const) {
    const route = app.ws(pattern);
    if (limit !== undefined) route.maxPayload(limit);
    route
      .onopen((conn) => record(conn, "open"))
      .onmessage((conn, message, isBinary) => {
        record(conn, isBinary ? `message:binary:${(message as Uint8Array).byteLength}` : `message:text:${message as string}`);
        echo(conn, message);
      })
      .onerror((conn, error) => record(conn, `error:${error.code}:${error.name}`))
      .onclose((conn, reason, code) => record(conn, `close:${code}:${reason}`));
  }

  app
    .ws("/flood")
    .onopen((conn) => {
      // Which send first reports backpressure is each runtime's buffer size (and, on Bun, how much
      // the kernel took at once); that one does is the promise. Send until it does (at most 32 MiB).
      let status = "sent";
      for (let i = 0; i < 32 && status !== "backpressure"; i++) status = conn.send(new Uint8Array(1 << 20));
      record(conn, status === "backpressure" ? "backpressure" : "no backpressure");
    })
    .ondrain((conn) => {
      // The reply may itself meet backpressure and bring another drain: answer the first only.
      if (events.get(new URL(conn.url).searchParams.get("t") ?? "")?.includes("drain")) return;
      record(conn, "drain");
      conn.send("drained");
    })
    .onclose((conn, reason, code) => record(conn, `close:${code}:${reason}`));

  // Topics: every connection joins the room; "all:X" is an app-wide publish, "count" asks how
  // many subscribers the room has, "bin" publishes 3 bytes, anything else goes to the others.
  app
    .ws("/topics/:room")
    .onopen((conn) => conn.subscribe(conn.params.room))
    .onmessage((conn, message) => {
      const room = conn.params.room;
      if (message === "count") conn.send(`count:${app.subscribers(room)}:${conn.topics.join(",")}`);
      else if (message === "bin") conn.publish(room, new Uint8Array([0, 255, 7]));
      else if (typeof message === "string" && message.startsWith("all:")) app.publish(room, message.slice(4));
      else conn.publish(room, message);
    });

  // Soak: counts opens and closes; echoes everything.
  const soak = { opened: 0, closed: 0, messages: 0 };
  app
    .ws("/soak")
    .onopen(() => void soak.opened++)
    .onmessage((conn, message) => {
      soak.messages++;
      conn.send(message);
    })
    .onclose(() => void soak.closed++);

  // Only pages from https://good.example may connect.
  app.ws("/origin-only").allowedOrigins(["https://good.example"]).onopen((conn) => record(conn, "open"));

  // A slow reader: the server sends 256 KiB a turn until the send buffer passes 64 KiB.
  app
    .ws("/slow-reader")
    .maxBufferedAmount(64 * 1024)
    .onopen((conn) => {
      record(conn, "open");
      const chunk = new Uint8Array(256 * 1024);
      const pump = () => {
        for (let i = 0; i < 4; i++) if (conn.send(chunk) === "dropped") return;
        setTimeout(pump, 1);
      };
      pump();
    })
    .onerror((conn, error) => record(conn, `error:${error.code}:${error.name}`))
    .onclose((conn, _reason, code) => record(conn, `close:${code}`));

  app.ws("/reject").onaccept(() => false).onopen((conn) => record(conn, "open"));

  // Heartbeats: the server pings on open and on "ping"; "bye" drops the connection (terminate).
  app
    .ws("/heartbeat")
    .onopen((conn) => record(conn, `ping:${conn.ping("hi")}`))
    .onmessage((conn, message) => {
      record(conn, `message:${message as string}`);
      if (message === "ping") record(conn, `ping:${conn.ping(new Uint8Array([1, 2, 3]))}`);
      if (message === "bye") conn.terminate();
    })
    .onpong((conn, data) => record(conn, `pong:${data.join(",")}`))
    .onerror((conn, error) => record(conn, `error:${error.code}`))
    .onclose((conn, reason, code) => record(conn, `close:${code}:${reason}`));

  app
    .ws("/rooms/:room")
    .subprotocols(["chat"])
    .onaccept((req, params) => ({ data: { room: params.room, user: new URL(req.url).searchParams.get("user") ?? "" } }))
    .onopen((conn) => {
      record(conn, `open:${conn.data.room}:${conn.data.user}:${conn.protocol}`);
      conn.send(JSON.stringify({ data: conn.data, protocol: conn.protocol }));
    })
    .onclose((conn, reason, code) => record(conn, `close:${code}:${reason}`));

  // Extra 101 headers from onaccept, alone or beside a selected subprotocol.
  app
    .ws("/accept-headers")
    .subprotocols(["chat"])
    .onaccept(() => ({ headers: { "x-rookery-seat": "12A" } }));

  // Which protocol carried the handshake: as onaccept sees it (httpVersionOf, before any
  // connection exists) and as the connection does.
  app
    .ws("/version")
    .onaccept((req) => ({ data: httpVersionOf(req) }))
    .onopen((conn) => record(conn, `open:${conn.data}:${conn.httpVersion}`))
    .onclose((conn, reason, code) => record(conn, `close:${code}:${reason}`));

  app
    .ws("/throw-open")
    .onopen(() => {
      throw new Error("open failed");
    })
    .onerror((conn, error) => record(conn, `error:${error.code}:${error.name}`))
    .onclose((conn, reason, code) => record(conn, `close:${code}:${reason}`));

  // Compression: replies of 1 KiB or more go out compressed, smaller ones plain, so a client sees
  // both kinds of frame. Messages are not recorded: they are up to 1 MiB, and the client checks them.
  if (deflate) {
    app
      .ws("/deflate")
      .perMessageDeflate({ threshold: 1024 })
      .maxPayload(DEFLATE_MAX_PAYLOAD)
      .onopen((conn) => record(conn, "open"))
      .onmessage((conn, message) => void conn.send(message))
      .onerror((conn, error) => record(conn, `error:${error.code}:${error.name}`))
      .onclose((conn, reason, code) => record(conn, `close:${code}:${reason}`));
  }

  const flow = addFlowRoutes(app, record);

  const fetch = (req: Request): Response => {
    const url = new URL(req.url);
    const answered = flow(url);
    if (answered) return answered;
    if (url.pathname === "/events") return Response.json(events.get(url.searchParams.get("t") ?? "") ?? []);
    if (url.pathname === "/stats") return Response.json({ ...soak, ...collectedMemory(), topics: app.topics.size });
    if (url.pathname === "/hello") return new Response(`hello from ${runtime}`);
    if (url.pathname === "/http-version") return new Response(httpVersionOf(req));
    return new Response("no such page", { status: 404 });
  };
  return { app, fetch, transcripts: () => Object.fromEntries(events) };
}
