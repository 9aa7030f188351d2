import { describe, expect, it } from "vitest";
import { Rookery } from "../../mod.ts";
import { answerPlainRequest, fallbackResponse, refusesUpgrade } from "../../src/upgrade.ts";
import { upgradeRequest } from "../support/memory_transport.ts";

// What every adapter does with requests that are not upgraded: the same answers on each runtime.

function appWithRoute() {
  const logged: { message: string; error: unknown }[] = [];
  const app = new Rookery({ logger: (message, error) => logged.push({ message, error }) });
  app.ws("/chat/:room");
  return { app, logged };
}

describe("answerPlainRequest: a plain HTTP request on a WebSocket route", () => {
  it("a path with no WebSocket route is left to the fallback", () => {
    const { app } = appWithRoute();
    expect(answerPlainRequest(app, new Request("http://127.0.0.1/index.html"))).toBeUndefined();
    expect(answerPlainRequest(app, new Request("http://127.0.0.1/chat"))).toBeUndefined();
  });

  it("a GET without Upgrade on a route → 426 with Upgrade: websocket", async () => {
    const { app } = appWithRoute();
    const r = answerPlainRequest(app, new Request("http://127.0.0.1/chat/lobby"));
    expect(r?.status).toBe(426);
    expect(r?.headers.get("upgrade")).toBe("websocket");
    expect(r?.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(await r?.text()).toMatch(/WebSocket/);
  });

  it("a malformed handshake on a route gets its own answer (POST → 400)", () => {
    const { app } = appWithRoute();
    const r = answerPlainRequest(app, new Request("http://127.0.0.1/chat/lobby", { method: "POST", headers: { upgrade: "websocket" } }));
    expect(r?.status).toBe(400);
  });

  it("a complete handshake that reached the plain path cannot be upgraded there → 400", async () => {
    const { app } = appWithRoute();
    const r = answerPlainRequest(app, upgradeRequest("/chat/lobby"));
    expect(r?.status).toBe(400);
    expect(await r?.text()).toMatch(/plain HTTP/);
  });

  it("a malformed Host → 400 before routing, on any path", async () => {
    const { app } = appWithRoute();
    for (const path of ["/chat/lobby", "/index.html"]) {
      const r = answerPlainRequest(app, new Request(`http://127.0.0.1${path}`, { headers: { host: "h:1/chat/lobby?" } }));
      expect(r?.status).toBe(400);
      expect(r?.headers.get("connection")).toBe("close");
      expect((await r?.text())?.trim()).toBe("Malformed Host header");
    }
  });

  it("a well-formed Host does not change the answer", () => {
    const { app } = appWithRoute();
    expect(answerPlainRequest(app, new Request("http://127.0.0.1/index.html", { headers: { host: "example.com:8080" } }))).toBeUndefined();
  });
});

describe("fallbackResponse: requests no WebSocket route takes", () => {
  const get = (path: string) => new Request(`http://127.0.0.1${path}`);

  it("without a fallback → 404", async () => {
    const { app } = appWithRoute();
    const r = await fallbackResponse(app, get("/missing"), undefined);
    expect(r.status).toBe(404);
    expect((await r.text()).trim()).toBe("Not Found");
  });

  it("the fallback's answer, sync or async, is passed on untouched", async () => {
    const { app } = appWithRoute();
    const page = new Response("<h1>hi</h1>", { headers: { "content-type": "text/html" } });
    expect(await fallbackResponse(app, get("/"), () => page)).toBe(page);
    expect(await fallbackResponse(app, get("/"), () => Promise.resolve(page))).toBe(page);
  });

  it.each([
    ["throws", () => {
      throw new Error("template missing");
    }],
    ["rejects", () => Promise.reject(new Error("template missing"))],
  ])("a fallback that %s → a fixed 500 and one log line naming the path", async (_name, fallback) => {
    const { app, logged } = appWithRoute();
    const r = await fallbackResponse(app, get("/about"), fallback);
    expect(r.status).toBe(500);
    expect((await r.text()).trim()).toBe("Internal Server Error");
    expect(logged).toHaveLength(1);
    expect(logged[0]!.message).toContain("/about");
    expect(logged[0]!.error).toEqual(new Error("template missing"));
  });
});

describe("refusesUpgrade: whether an answer refuses an upgrade, so the connection must end", () => {
  const refused = new Response("no", { status: 404 });
  it("any Upgrade header counts, whatever protocol it names", () => {
    expect(refusesUpgrade(upgradeRequest("/x"), refused)).toBe(true);
    expect(refusesUpgrade(new Request("http://127.0.0.1/", { headers: { upgrade: "h2c" } }), refused)).toBe(true);
    expect(refusesUpgrade(new Request("http://127.0.0.1/"), refused)).toBe(false);
  });

  it("a fallback that upgrades itself (101, or Bun's undefined) and bodiless statuses are not refusals", () => {
    const asks = upgradeRequest("/own");
    expect(refusesUpgrade(asks, undefined)).toBe(false);
    expect(refusesUpgrade(asks, { status: 403 })).toBe(false);
    for (const status of [204, 205, 304]) expect(refusesUpgrade(asks, new Response(null, { status }))).toBe(false);
    expect(refusesUpgrade(asks, new Response("ok", { status: 200 }))).toBe(true);
    expect(refusesUpgrade(asks, new Response("gone", { status: 500 }))).toBe(true);
    // Deno's upgrade answer is a Response with status 101, which code here cannot construct.
    const switching = Object.create(Response.prototype, { status: { value: 101 } }) as Response;
    expect(refusesUpgrade(asks, switching)).toBe(false);
  });
});
