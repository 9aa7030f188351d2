import { describe, expect, expectTypeOf, it } from "vitest";
import { type Connection, Rookery } from "../../mod.ts";
import { compilePattern, matchPattern, Router } from "../../src/path.ts";
import { connect, settle, upgradeRequest } from "../support/memory_transport.ts";

describe("registration errors are thrown at registration time", () => {
  it("a handler registered twice", () => {
    const route = new Rookery().ws("/x").onopen(() => {});
    expect(() => route.onopen(() => {})).toThrow(/onopen is already registered on route \/x/);
  });

  it("a handler that is not a function", () => {
    expect(() => new Rookery().ws("/x").onmessage("nope" as never)).toThrow(TypeError);
  });

  it.each([-1, NaN, 1.5, "10" as unknown as number])("maxPayload %s", (n) => {
    expect(() => new Rookery().ws("/x").maxPayload(n)).toThrow(RangeError);
    expect(() => new Rookery({ maxPayload: n })).toThrow(RangeError);
  });

  it.each([
    ["", /start with '\/'/],
    ["chat", /start with '\/'/],
    ["/a//b", /empty segment/],
    ["/a/:", /needs a name/],
    ["/a/:1x", /needs a name/],
    ["/a/:x/:x", /appears twice/],
    ["/a/*/b", /last segment/],
    ["/a b", /characters/],
    ["/a?q", /characters/],
  ])("malformed pattern %j", (pattern, message) => {
    expect(() => new Rookery().ws(pattern)).toThrow(message);
  });

  it("two patterns for the same paths", () => {
    const app = new Rookery();
    app.ws("/chat/:room");
    expect(() => app.ws("/chat/:other")).toThrow(/conflicts/);
    app.ws("/static");
    expect(() => app.ws("/static")).toThrow(/conflicts/);
  });

  it("a subprotocol that is not a token", () => {
    expect(() => new Rookery().ws("/x").subprotocols(["a b"])).toThrow(TypeError);
  });
});

describe("path matching and precedence", () => {
  const router = new Router<string>();
  for (const p of ["/a/b/c", "/a/:x/c", "/a/b/:y", "/a/*", "/files/*", "/u/:id", "/", "/trail/"]) {
    router.add(compilePattern(p), p);
  }

  it.each([
    ["/a/b/c", "/a/b/c", {}],
    ["/a/b/z", "/a/b/:y", { y: "z" }],
    ["/a/q/c", "/a/:x/c", { x: "q" }],
    ["/a/q/z", "/a/*", { "*": "q/z" }],
    ["/a/", "/a/*", { "*": "" }],
    ["/files/x%20y/z", "/files/*", { "*": "x y/z" }],
    ["/u/caf%C3%A9", "/u/:id", { id: "café" }],
    ["/", "/", {}],
    ["/trail/", "/trail/", {}],
  ])("%s → %s", (path, pattern, params) => {
    expect(router.find(path)).toEqual({ value: pattern, params });
  });

  it.each(["/u", "/u/", "/u/1/2", "/files", "/trail", "/u/%E0%A4%A", "/nope"])("%s does not match", (path) => {
    expect(router.find(path)).toBeUndefined();
  });

  it("precedence does not depend on registration order", () => {
    const patterns = ["/a/*", "/a/:x/c", "/a/b/:y"];
    for (const order of [patterns, [...patterns].reverse()]) {
      const r = new Router<string>();
      for (const p of order) r.add(compilePattern(p), p);
      expect(r.find("/a/b/c")?.value).toBe("/a/b/:y");
    }
  });

  it("matchPattern decodes params", () => {
    expect(matchPattern(compilePattern("/r/:room"), "/r/a%2Fb")).toEqual({ room: "a/b" });
  });

  it("an app routes params to its connections", async () => {
    const app = new Rookery();
    app.ws("/chat/:room");
    const r = await connect(app, upgradeRequest("/chat/lobby?x=1"));
    if (!("socket" in r)) throw new Error("rejected");
    expect(r.socket.connection.params).toEqual({ room: "lobby" });
    expect(r.socket.connection.url).toBe("http://127.0.0.1/chat/lobby?x=1");
  });
});

describe("Connection", () => {
  async function conn() {
    const app = new Rookery();
    app.ws("/c");
    const r = await connect(app, upgradeRequest("/c"), { echoClose: false });
    if (!("socket" in r)) throw new Error("rejected");
    await settle();
    return r.socket;
  }

  it.each([999, 1004, 1005, 1006, 1015, 2999, 5000, 3000.5])("close(%i) is refused (never sent on the wire)", async (code) => {
    const s = await conn();
    expect(() => s.connection.close(code)).toThrow(RangeError);
    expect(s.serverClose).toBeUndefined();
  });

  it.each([1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1014, 3000, 4999])("close(%i) is sent: any code a server may send", async (code) => {
    const s = await conn();
    s.connection.close(code, "why");
    expect(s.serverClose).toEqual({ code, reason: "why" });
  });

  it("a reason over 123 UTF-8 bytes is refused; 123 is fine", async () => {
    const s = await conn();
    expect(() => s.connection.close(1000, "é".repeat(62))).toThrow(/123 bytes/);
    s.connection.close(3000, "é".repeat(61) + "a");
    expect(s.serverClose).toEqual({ code: 3000, reason: "é".repeat(61) + "a" });
  });

  it("send accepts strings and every kind of bytes, and refuses other values", async () => {
    const s = await conn();
    const bytes = new Uint8Array([1, 2, 3, 4]);
    s.connection.send("t");
    s.connection.send(bytes);
    s.connection.send(bytes.buffer);
    s.connection.send(new DataView(bytes.buffer, 1, 2));
    expect(s.sent).toEqual(["t", bytes, new Uint8Array([1, 2, 3, 4]), new Uint8Array([2, 3])]);
    expect(() => s.connection.send(42 as never)).toThrow(TypeError);
  });

  it("has an id, remoteAddress and readyState", async () => {
    const a = await conn();
    const b = await conn();
    expect(a.connection.id).not.toBe(b.connection.id);
    expect(a.connection.remoteAddress).toBe("127.0.0.1");
    expect(a.connection.readyState).toBe(1);
  });
});

describe("types", () => {
  it("conn.data is typed from onaccept, params from the pattern", () => {
    const app = new Rookery();
    app
      .ws("/chat/:room/:user")
      .onaccept((_req, params) => {
        expectTypeOf(params).toEqualTypeOf<{ room: string; user: string }>();
        return params.user === "x" ? false : { data: { user: params.user, joined: 1 } };
      })
      .onopen((conn) => {
        expectTypeOf(conn.data).toEqualTypeOf<{ user: string; joined: number }>();
        expectTypeOf(conn).toEqualTypeOf<Connection<{ user: string; joined: number }, { room: string; user: string }>>();
      })
      .onmessage((conn, message, isBinary) => {
        expectTypeOf(conn.data.joined).toBeNumber();
        expectTypeOf(message).toEqualTypeOf<string | Uint8Array>();
        expectTypeOf(isBinary).toBeBoolean();
      })
      .onclose((_conn, reason, code) => {
        expectTypeOf(reason).toBeString();
        expectTypeOf(code).toBeNumber();
      });
    app.ws("/files/*").onopen((conn) => {
      expectTypeOf(conn.params["*"]).toBeString();
      expectTypeOf(conn.data).toBeUndefined();
    });
  });

  it("conn.data is `D | undefined` wherever onaccept may accept without data", () => {
    const app = new Rookery();
    const cond = Math.random() > 2;
    app
      .ws("/maybe")
      .onaccept(() => (cond ? { data: { n: 1 } } : true))
      .onopen((conn) => expectTypeOf(conn.data).toEqualTypeOf<{ n: number } | undefined>());
    app
      .ws("/async")
      .onaccept(async () => (await Promise.resolve(cond)) ? false : { data: "ann" })
      .onopen((conn) => expectTypeOf(conn.data).toEqualTypeOf<string>());
    app
      .ws("/protocol-only")
      .onaccept(() => ({ protocol: "chat" }))
      .onopen((conn) => expectTypeOf(conn.data).toBeUndefined());
    app
      .ws("/or-response")
      .onaccept(() => (cond ? new Response("no", { status: 401 }) : { data: 7 }))
      .onopen((conn) => expectTypeOf(conn.data).toEqualTypeOf<number>());
    app
      .ws("/nothing")
      .onaccept(() => {})
      .onopen((conn) => expectTypeOf(conn.data).toBeUndefined());
  });
});

describe("idleTimeout", () => {
  it.each([-1, NaN, Infinity, 961])("%s seconds is refused at registration", (s) => {
    expect(() => new Rookery({ idleTimeout: s })).toThrow(RangeError);
    expect(() => new Rookery().ws("/x").idleTimeout(s)).toThrow(RangeError);
  });

  it("route ?? app ?? 120 s; 0 turns it off", async () => {
    const { decideUpgrade } = await import("../../src/upgrade.ts");
    const app = new Rookery({ idleTimeout: 30 });
    app.ws("/r").idleTimeout(0);
    app.ws("/a");
    const bare = new Rookery();
    bare.ws("/a");
    const timeouts = [];
    for (const [a, path] of [[app, "/r"], [app, "/a"], [bare, "/a"]] as const) {
      const d = await decideUpgrade(a, upgradeRequest(path));
      if (d.kind !== "accept") throw new Error("rejected");
      timeouts.push(d.acceptance.settings.idleTimeout);
    }
    expect(timeouts).toEqual([0, 30, 120]);
  });
});
