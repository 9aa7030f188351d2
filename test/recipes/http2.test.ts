/**
 * docs/recipes/http2.md: Fastify (examples/recipes/fastify_http2.ts) and `@hono/node-server`
 * (examples/recipes/hono_http2.ts) serving HTTP/2 and HTTP/1.1 on one TLS port, with Rookery's
 * `attachHttp2`, run on Node with a certificate made here by `openssl` for this run only.
 *
 * Each gets the checks every recipe passes over HTTP/1.1 (undici: a wss:// upgrade, the
 * framework's route and 404, SIGTERM), and the same over HTTP/2 with node:http2's client: a
 * WebSocket as an extended CONNECT stream, plain requests on the same session, and SIGTERM with a
 * stream open.
 */
import { once } from "node:events";
import { type ClientHttp2Session, connect } from "node:http2";
import { Agent, fetch as undiciFetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../../scripts/spawn_server.ts";
import { selfSignedCertificate } from "../support/certificate.ts";
import { RawStream } from "../support/h2_client.ts";
import { clientFrame, closeBody } from "../support/raw_client.ts";
import { connect as connectWebSocket, exitWithin, recipeChecks, within } from "./support.ts";

const certificate = selfSignedCertificate();
// undici negotiates HTTP/2 by default (ALPN), its WebSocket included: the HTTP/1.1 checks turn it off.
const http1Only = new Agent({ connect: { ca: certificate.cert }, allowH2: false });
const http2Agent = new Agent({ connect: { ca: certificate.cert }, allowH2: true });
const args = ["--cert", certificate.certFile, "--key", certificate.keyFile];
afterAll(async () => {
  await http1Only.close();
  await http2Agent.close();
  certificate.remove();
});

interface Recipe {
  name: string;
  script: string;
  /** Headers the recipe's `/ws` asks for (the Hono app's token). */
  headers: Record<string, string>;
  /** `/hello` over HTTP/1.1; over HTTP/2 the same with the version the framework reports. */
  hello: (httpVersion: "1.1" | "2.0") => unknown;
  /** Checks the framework's own 404 (its body): never Rookery's. */
  notFound: (body: string) => void;
}

const RECIPES: Recipe[] = [
  {
    name: "Fastify 5",
    script: "examples/recipes/fastify_http2.ts",
    headers: {},
    hello: (httpVersion) => ({ hello: "from Fastify", httpVersion }),
    notFound: (body) => expect(JSON.parse(body)).toEqual({ message: "Route GET:/no/such/page not found", error: "Not Found", statusCode: 404 }),
  },
  {
    name: "Hono (@hono/node-server)",
    script: "examples/recipes/hono_http2.ts",
    headers: { authorization: "Bearer let-me-in" },
    hello: () => ({ hello: "from Hono" }),
    notFound: (body) => expect(body).toBe("404 Not Found"),
  },
];

/** A client session that has seen the server's SETTINGS (extended CONNECT is allowed only after them). */
async function session(port: number): Promise<ClientHttp2Session> {
  const s = connect(`https://127.0.0.1:${port}`, { ca: certificate.cert });
  s.on("error", () => {});
  await once(s, "remoteSettings");
  return s;
}

/** A plain HTTP/2 GET on `s`. */
async function get(s: ClientHttp2Session, path: string): Promise<{ status: number; body: string }> {
  const req = s.request({ ":path": path });
  const [headers] = (await once(req, "response")) as [Record<string, unknown>];
  let body = "";
  req.setEncoding("utf8");
  req.on("data", (d: string) => (body += d));
  await once(req, "end");
  return { status: Number(headers[":status"]), body };
}

describe.each(RECIPES)("recipe: $name with HTTP/2 on Node", (recipe) => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer("node", recipe.script, { args });
  });
  afterAll(() => server?.stop());

  // HTTP/1.1 on the same port: allowHTTP1.
  recipeChecks(
    {
      runtime: "node",
      script: recipe.script,
      args,
      scheme: "https",
      ws: { dispatcher: http1Only, headers: recipe.headers },
      fetch: (url) => undiciFetch(url, { dispatcher: http1Only }),
      route: { path: "/hello", body: recipe.hello("1.1") },
      notFound: (_response, body) => recipe.notFound(body),
    },
    () => server,
  );

  it("a WebSocket over HTTP/2 (an extended CONNECT stream) echoes, beside the framework's HTTP/2 requests on the same session", async () => {
    const s = await session(server.port);
    try {
      expect(s.remoteSettings.enableConnectProtocol).toBe(true);
      const ws = await RawStream.open(s, server.port, "/ws", recipe.headers);
      expect(ws.status).toBe(200);
      ws.write(clientFrame(1, "over a stream"));
      ws.write(clientFrame(2, new Uint8Array(70_000).fill(7)));
      // The framework answers plain requests on the same session while the stream is open.
      const hello = await get(s, "/hello");
      expect([hello.status, JSON.parse(hello.body)]).toEqual([200, recipe.hello("2.0")]);
      const missing = await get(s, "/no/such/page");
      expect(missing.status).toBe(404);
      recipe.notFound(missing.body);
      await ws.until(() => ws.frames.length === 2);
      expect(ws.frames.map((f) => [f.opcode, f.payload.length])).toEqual([
        [1, "over a stream".length],
        [2, 70_000],
      ]);
      expect(ws.frames[0]!.payload.toString()).toBe("over a stream");
      ws.write(clientFrame(8, closeBody(1000, "done")));
      expect(await ws.closed()).toEqual({ code: 1000, reason: "done" });
      expect(ws.reset).toBe(false);
    } finally {
      s.close();
    }
  });

  it("undici's WebSocket, which opens its sockets as HTTP/2 streams when it can, echoes too", async () => {
    const client = await connectWebSocket(`wss://127.0.0.1:${server.port}/ws`, { dispatcher: http2Agent, headers: recipe.headers });
    client.ws.send("from undici");
    expect(await client.next()).toBe("from undici");
    client.ws.close(1000, "done");
    expect(await client.closed).toEqual([1000, "done"]);
    // The same dispatcher's requests go over HTTP/2.
    const hello = await undiciFetch(`https://127.0.0.1:${server.port}/hello`, { dispatcher: http2Agent });
    expect(await hello.json()).toEqual(recipe.hello("2.0"));
  });

  // Only the Hono recipe guards its route with a token (the Fastify one has no onaccept), so
  // only its column runs this; the Fastify column reports it skipped.
  it.runIf(recipe.headers.authorization)("onaccept guards the HTTP/2 handshake as it does the HTTP/1.1 one: 401 without the token", async () => {
    const s = await session(server.port);
    try {
      const refused = await RawStream.open(s, server.port, "/ws", { authorization: "Bearer wrong" });
      expect([refused.status, refused.headers["www-authenticate"]]).toEqual([401, "Bearer"]);
    } finally {
      s.close();
    }
  });

  it("SIGTERM with a stream open: it gets 1001, then the process ends by itself with code 0", async () => {
    const own = await startServer("node", recipe.script, { args });
    try {
      const s = await session(own.port);
      const ws = await RawStream.open(s, own.port, "/ws", recipe.headers);
      ws.write(clientFrame(1, "still here"));
      await ws.until(() => ws.frames.length === 1);
      const started = Date.now();
      own.child.kill("SIGTERM");
      // The client keeps its session open: the server must close it (GOAWAY), not wait for it.
      expect(await within(ws.closed(), 3000, "the stream's close")).toEqual({ code: 1001, reason: "server shutting down" });
      expect(await exitWithin(own, 3000)).toBe(0);
      expect(Date.now() - started).toBeLessThan(3000);
      s.close();
    } finally {
      await own.stop();
    }
  });
});
