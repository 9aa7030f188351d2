import { describe, expect, it } from "vitest";
import { Rookery } from "../../mod.ts";
import { connect, KEY, settle, upgradeRequest } from "../support/memory_transport.ts";

async function statusOf(app: Rookery, request: Request): Promise<number | "upgraded"> {
  const r = await connect(app, request);
  return "socket" in r ? "upgraded" : r.response.status;
}

describe("accept outcomes", () => {
  function appWith(result: () => unknown, logged: string[] = []) {
    const app = new Rookery({ logger: (m) => logged.push(m) });
    const events: string[] = [];
    app
      .ws("/a")
      .onaccept(() => result() as never)
      .onopen(() => void events.push("open"))
      .onclose(() => void events.push("close"));
    return { app, events, logged };
  }

  it("false → 403 and no other handler runs", async () => {
    const { app, events } = appWith(() => false);
    expect(await statusOf(app, upgradeRequest("/a"))).toBe(403);
    await settle();
    expect(events).toEqual([]);
  });

  it("a Response is sent as is", async () => {
    const { app, events } = appWith(() => new Response("go away", { status: 401, headers: { "x-why": "token" } }));
    const r = await connect(app, upgradeRequest("/a"));
    if (!("response" in r)) throw new Error("upgraded");
    expect(r.response.status).toBe(401);
    expect(r.response.headers.get("x-why")).toBe("token");
    expect(await r.response.text()).toBe("go away");
    expect(events).toEqual([]);
  });

  it.each([["true", () => true], ["undefined", () => undefined], ["a promise of true", () => Promise.resolve(true)]])(
    "%s → accepted with no data",
    async (_name, result) => {
      const { app } = appWith(result);
      const r = await connect(app, upgradeRequest("/a"));
      if (!("socket" in r)) throw new Error("rejected");
      expect(r.socket.connection.data).toBeUndefined();
    },
  );

  it("{ data, headers } → conn.data and extra 101 headers", async () => {
    const app = new Rookery();
    let seen: unknown;
    app
      .ws("/a/:room")
      .onaccept((req, params) =>
        Promise.resolve({
          data: { user: req.headers.get("x-user") ?? "", room: params.room },
          headers: { "set-cookie": "s=1" },
        }),
      )
      .onopen((conn) => void (seen = conn.data));
    const { decideUpgrade } = await import("../../src/upgrade.ts");
    const d = await decideUpgrade(app, upgradeRequest("/a/lobby", { "x-user": "ann" }));
    expect(d.kind).toBe("accept");
    if (d.kind !== "accept") return;
    expect(d.acceptance.headers?.get("set-cookie")).toBe("s=1");
    const r = await connect(app, upgradeRequest("/a/lobby", { "x-user": "ann" }));
    if (!("socket" in r)) throw new Error("rejected");
    await settle();
    expect(seen).toEqual({ user: "ann", room: "lobby" });
  });

  it.each([
    ["throws", () => {
      throw new Error("db down");
    }],
    ["rejects", () => Promise.reject(new Error("db down"))],
  ])("onaccept that %s → 500, logged, no other handler", async (_name, result) => {
    const logged: string[] = [];
    const { app, events } = appWith(result, logged);
    expect(await statusOf(app, upgradeRequest("/a"))).toBe(500);
    await settle();
    expect(events).toEqual([]);
    expect(logged).toEqual(["onaccept handler threw on /a"]);
  });
});

describe("subprotocols", () => {
  const offer = { "sec-websocket-protocol": "chat.v1, chat.v2" };

  it("onaccept picks one of the client's offers, which it receives in order", async () => {
    const app = new Rookery();
    let offered: readonly string[] = [];
    app.ws("/p").onaccept((_req, _params, o) => {
      offered = o;
      return { protocol: "chat.v2" };
    });
    const r = await connect(app, upgradeRequest("/p", offer));
    if (!("socket" in r)) throw new Error("rejected");
    expect(offered).toEqual(["chat.v1", "chat.v2"]);
    expect(r.socket.connection.protocol).toBe("chat.v2");
  });

  it("a protocol the client did not offer is never selected: 500 and a log line", async () => {
    const logged: string[] = [];
    const app = new Rookery({ logger: (m) => logged.push(m) });
    app.ws("/p").onaccept(() => ({ protocol: "evil" }));
    expect(await statusOf(app, upgradeRequest("/p", offer))).toBe(500);
    expect(logged[0]).toContain('"evil"');
  });

  it("route subprotocols: the server's first preference that the client offered", async () => {
    const app = new Rookery();
    app.ws("/p").subprotocols(["chat.v2", "chat.v1"]);
    app.ws("/q").subprotocols(["other"]);
    const p = await connect(app, upgradeRequest("/p", offer));
    const q = await connect(app, upgradeRequest("/q", offer));
    if (!("socket" in p) || !("socket" in q)) throw new Error("rejected");
    expect(p.socket.connection.protocol).toBe("chat.v2");
    expect(q.socket.connection.protocol).toBe("");
  });

  it("no protocol without an onaccept choice or route list", async () => {
    const app = new Rookery();
    app.ws("/p");
    const r = await connect(app, upgradeRequest("/p", offer));
    if (!("socket" in r)) throw new Error("rejected");
    expect(r.socket.connection.protocol).toBe("");
  });
});

describe("handshake validation before onaccept", () => {
  const app = new Rookery();
  let accepted = 0;
  app.ws("/h").onaccept(() => void accepted++);
  const base = {
    upgrade: "websocket",
    connection: "Upgrade",
    "sec-websocket-version": "13",
    "sec-websocket-key": KEY,
  };
  const req = (headers: Record<string, string | undefined>, method = "GET") => {
    const h = new Headers();
    for (const [k, v] of Object.entries({ ...base, ...headers })) if (v !== undefined) h.set(k, v);
    return new Request("http://127.0.0.1/h", { method, headers: h });
  };

  it.each([
    ["no Upgrade header (plain GET)", req({ upgrade: undefined, connection: undefined }), 426, { upgrade: "websocket" }],
    ["Upgrade: h2c", req({ upgrade: "h2c" }), 426, { upgrade: "websocket" }],
    ["POST", req({}, "POST"), 400, {}],
    ["no Connection: Upgrade", req({ connection: "keep-alive" }), 400, {}],
    ["version 8", req({ "sec-websocket-version": "8" }), 426, { "sec-websocket-version": "13" }],
    ["no version", req({ "sec-websocket-version": undefined }), 426, { "sec-websocket-version": "13" }],
    ["no key", req({ "sec-websocket-key": undefined }), 400, {}],
    ["key of 15 bytes", req({ "sec-websocket-key": btoa("x".repeat(15)) }), 400, {}],
    ["key of 17 bytes", req({ "sec-websocket-key": btoa("x".repeat(17)) }), 400, {}],
    ["key not base64", req({ "sec-websocket-key": "!!!!!!!!!!!!!!!!!!!!!!==" }), 400, {}],
  ])("%s → %i", async (_name, request, status, headers) => {
    const r = await connect(app, request);
    if (!("response" in r)) throw new Error("upgraded");
    expect(r.response.status).toBe(status);
    for (const [k, v] of Object.entries(headers)) expect(r.response.headers.get(k)).toBe(v);
    expect(accepted).toBe(0);
  });

  it("accepts header tokens in any case and in lists", async () => {
    const r = await connect(app, req({ upgrade: "WebSocket", connection: "keep-alive, upgrade" }));
    expect("socket" in r).toBe(true);
    expect(accepted).toBe(1);
  });

  it("an unknown path is passed on (the adapter answers 404 or its fallback)", async () => {
    const { decideUpgrade } = await import("../../src/upgrade.ts");
    expect((await decideUpgrade(app, upgradeRequest("/nope"))).kind).toBe("pass");
  });
});

describe("allowedOrigins (cross-site WebSocket hijacking)", () => {
  function appWith(app: Rookery) {
    let accepted = 0;
    app.ws("/o").onaccept(() => void accepted++);
    return { app, accepted: () => accepted };
  }
  const from = (origin?: string) => upgradeRequest("/o", origin === undefined ? {} : { origin });

  it("a listed origin passes; another gets 403 before onaccept runs", async () => {
    const { app, accepted } = appWith(new Rookery({ allowedOrigins: ["https://chat.example", "http://localhost:8080"] }));
    expect(await statusOf(app, from("https://chat.example"))).toBe("upgraded");
    expect(await statusOf(app, from("HTTP://LOCALHOST:8080"))).toBe("upgraded");
    expect(await statusOf(app, from("https://evil.example"))).toBe(403);
    expect(await statusOf(app, from("https://chat.example:444"))).toBe(403);
    expect(await statusOf(app, from("null"))).toBe(403);
    expect(accepted()).toBe(2);
  });

  it("a request without Origin (not a browser) passes", async () => {
    const { app } = appWith(new Rookery({ allowedOrigins: ["https://chat.example"] }));
    expect(await statusOf(app, from())).toBe("upgraded");
  });

  it("a predicate decides, and a route's policy overrides the app's", async () => {
    const app = new Rookery({ allowedOrigins: ["https://a.example"] });
    app.ws("/p").allowedOrigins((origin) => origin.endsWith(".trusted.example"));
    app.ws("/q");
    expect(await statusOf(app, upgradeRequest("/p", { origin: "https://x.trusted.example" }))).toBe("upgraded");
    expect(await statusOf(app, upgradeRequest("/p", { origin: "https://a.example" }))).toBe(403);
    expect(await statusOf(app, upgradeRequest("/q", { origin: "https://a.example" }))).toBe("upgraded");
    expect(await statusOf(app, upgradeRequest("/q", { origin: "https://x.trusted.example" }))).toBe(403);
  });

  it("a predicate gets the handshake's web Request, with no onaccept on the route too", async () => {
    const app = new Rookery();
    const seen: string[] = [];
    app.ws("/p").allowedOrigins((origin, request) => {
      seen.push(`${origin} ${request.url} ${request.headers.get("x-id")}`);
      return true;
    });
    expect(await statusOf(app, upgradeRequest("/p?a=1", { origin: "https://x.example", "x-id": "7" }))).toBe("upgraded");
    expect(seen).toEqual(["https://x.example http://127.0.0.1/p?a=1 7"]);
  });

  it("off by default: any origin passes", async () => {
    const { app } = appWith(new Rookery());
    expect(await statusOf(app, from("https://anywhere.example"))).toBe("upgraded");
  });

  it.each(["example.com", "https://example.com/path", "", "ftp//x"])("a malformed origin %j throws at registration", (origin) => {
    expect(() => new Rookery({ allowedOrigins: [origin] })).toThrow(TypeError);
    expect(() => new Rookery().ws("/x").allowedOrigins([origin])).toThrow(TypeError);
  });
});
