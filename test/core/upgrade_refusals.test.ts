import { describe, expect, it } from "vitest";
import { Rookery } from "../../mod.ts";
import { answerPlainRequest, decideUpgrade } from "../../src/upgrade.ts";
import { upgradeRequest } from "../support/memory_transport.ts";

/** The answer `decideUpgrade` gives, failing the test on a pass or an accept. */
async function refusal(app: Rookery, request: Request): Promise<Response> {
  const d = await decideUpgrade(app, request);
  if (d.kind !== "respond") throw new Error(`expected a refusal, got ${d.kind}`);
  return d.response;
}

async function answer(response: Response) {
  return {
    status: response.status,
    text: (await response.text()).trim(),
    type: response.headers.get("content-type"),
    connection: response.headers.get("connection"),
  };
}

describe("every refusal is a short text answer that ends the connection", () => {
  const app = new Rookery({ logger: () => {} });
  app.ws("/o").allowedOrigins(["https://chat.example"]);
  app.ws("/f").onaccept(() => false);
  app.ws("/t").onaccept(() => {
    throw new Error("secret detail");
  });
  app.ws("/p").onaccept(() => ({ protocol: "evil" }));

  it.each([
    ["a foreign origin", upgradeRequest("/o", { origin: "https://evil.example" }), 403, "Origin not allowed"],
    ["onaccept returning false", upgradeRequest("/f"), 403, "Forbidden"],
    ["onaccept throwing (no detail leaks)", upgradeRequest("/t"), 500, "Internal Server Error"],
    ["a subprotocol the client did not offer", upgradeRequest("/p", { "sec-websocket-protocol": "chat" }), 500, "Internal Server Error"],
    ["a plain GET on the route", new Request("http://127.0.0.1/f"), 426, /Upgrade: websocket/],
  ])("%s → %i", async (_name, request, status, text) => {
    const got = await answer(await refusal(app, request));
    expect(got.status).toBe(status);
    expect(got.text).toMatch(text);
    expect(got.type).toBe("text/plain; charset=utf-8");
    expect(got.connection).toBe("close");
  });

  it("a Response from onaccept keeps its status, headers and body, and gains Connection: close", async () => {
    const a = new Rookery();
    a.ws("/r").onaccept(() => new Response("token expired", { status: 401, headers: { "www-authenticate": "Bearer" } }));
    const r = await refusal(a, upgradeRequest("/r"));
    expect(r.status).toBe(401);
    expect(r.headers.get("www-authenticate")).toBe("Bearer");
    expect(r.headers.get("connection")).toBe("close");
    expect(await r.text()).toBe("token expired");
  });

  it("a redirect from onaccept (immutable headers) is copied with Connection: close", async () => {
    const a = new Rookery();
    a.ws("/r").onaccept(() => Response.redirect("https://login.example/", 302));
    const r = await refusal(a, upgradeRequest("/r"));
    expect(r.status).toBe(302);
    expect(r.headers.get("location")).toBe("https://login.example/");
    expect(r.headers.get("connection")).toBe("close");
  });

  it("Response.error() from onaccept (no HTTP answer) → logged 500, never a throw", async () => {
    const logged: string[] = [];
    const a = new Rookery({ logger: (m) => logged.push(m) });
    a.ws("/r").onaccept(() => Response.error());
    const got = await answer(await refusal(a, upgradeRequest("/r")));
    expect(got).toEqual({ status: 500, text: "Internal Server Error", type: "text/plain; charset=utf-8", connection: "close" });
    expect(logged).toHaveLength(1);
  });
});

describe("user code failing outside onaccept → a fixed 500 and one log line naming the path", () => {
  async function failing(configure: (app: Rookery) => void, request: Request) {
    const logged: { message: string; error: unknown }[] = [];
    const app = new Rookery({ logger: (message, error) => logged.push({ message, error }) });
    configure(app);
    const got = await answer(await refusal(app, request));
    return { got, logged };
  }

  it("an allowedOrigins predicate that throws", async () => {
    const boom = new Error("predicate bug");
    const { got, logged } = await failing(
      (app) =>
        app.ws("/room/:id").allowedOrigins(() => {
          throw boom;
        }),
      upgradeRequest("/room/7", { origin: "https://a.example" }),
    );
    expect(got).toEqual({ status: 500, text: "Internal Server Error", type: "text/plain; charset=utf-8", connection: "close" });
    expect(logged).toHaveLength(1);
    expect(logged[0]!.message).toContain("/room/7");
    expect(logged[0]!.error).toBe(boom);
  });

  it("onaccept headers that Headers refuses", async () => {
    const { got, logged } = await failing(
      (app) => app.ws("/h").onaccept(() => ({ headers: { "bad header": "x" } })),
      upgradeRequest("/h"),
    );
    expect(got).toEqual({ status: 500, text: "Internal Server Error", type: "text/plain; charset=utf-8", connection: "close" });
    expect(logged).toHaveLength(1);
    expect(logged[0]!.message).toContain("/h");
    expect(logged[0]!.error).toBeInstanceOf(TypeError);
  });
});

describe("Host header: RFC 3986 host and optional port, checked before routing", () => {
  const app = new Rookery();
  app.ws("/echo");
  const withHost = (host: string) => upgradeRequest("/echo", { host });

  it.each([
    "example.com",
    "example.com:8080",
    "127.0.0.1:80",
    "[::1]",
    "[::1]:8080",
    "[2001:db8::1]:443",
    "xn--bcher-kva.example",
    "a",
    "localhost:",
  ])("%j is accepted", async (host) => {
    expect((await decideUpgrade(app, withHost(host))).kind).toBe("accept");
  });

  it.each([
    "example.com/echo",
    "h:1/echo?",
    "example.com?x",
    "example.com#f",
    "user@example.com",
    "exa mple.com",
    "[::1",
    "[]",
    "example.com:123456",
    "example.com:80a",
    "example.com:8:8",
    ":80",
  ])("%j → 400 that ends the connection, whatever the path", async (host) => {
    for (const request of [withHost(host), upgradeRequest("/unrouted", { host })]) {
      const got = await answer(await refusal(app, request));
      expect(got).toEqual({ status: 400, text: "Malformed Host header", type: "text/plain; charset=utf-8", connection: "close" });
    }
  });

  // Deno and Bun build `request.url` from the Host without parsing it, so a Host of a host's
  // characters can still make a URL string no parser takes (found in review: a logged 500).
  it.each(["a:99999", "%zz", "999.1.1.1"])("%j, in a runtime-built URL no parser takes → the same 400, for upgrades and plain requests, and no log line", async (host) => {
    const logged: string[] = [];
    const strict = new Rookery({ logger: (message) => void logged.push(message) });
    strict.ws("/echo");
    /** A runtime's Request: its url is the string the runtime built, unparsed. */
    const unparsed = (path: string, headers: Record<string, string>) =>
      new (class extends Request {
        override get url(): string {
          return `http://${host}${path}`;
        }
      })(`http://127.0.0.1${path}`, { headers: { host, ...headers } });
    const upgradeHeaders = { upgrade: "websocket", connection: "Upgrade", "sec-websocket-version": "13", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==" };
    for (const path of ["/echo", "/unrouted"]) {
      const got = await answer(await refusal(strict, unparsed(path, upgradeHeaders)));
      expect(got).toEqual({ status: 400, text: "Malformed Host header", type: "text/plain; charset=utf-8", connection: "close" });
      const plain = answerPlainRequest(strict, unparsed(path, {}));
      expect(plain?.status).toBe(400);
    }
    expect(logged).toEqual([]);
  });

  it("a Request built in code without Host is routed by its URL", async () => {
    expect(new Request("http://127.0.0.1/echo").headers.get("host")).toBeNull();
    expect((await decideUpgrade(app, upgradeRequest("/echo"))).kind).toBe("accept");
  });
});
