/**
 * Hostile handshakes on every runtime: a malformed Host never chooses the route, user code that
 * fails gives a fixed 500 and a log line (never a stack, a path or a development page), a refused
 * upgrade ends its connection, a 3 GiB length header on a default app is refused before 64 MiB
 * is read, and a peer that never finishes the closing handshake is dropped.
 */
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, type Runtime, startServer } from "../../scripts/spawn_server.ts";
import { clientFrame, RawClient } from "../support/raw_client.ts";

const CLOSE_TIMEOUT = 1000;

interface RawAnswer {
  status: number;
  head: string;
  body: string;
  /** The server closed the connection within the wait. */
  ended: boolean;
}

/** Sends raw request bytes and collects the answer until the server closes or `ms` passes. */
function rawRequest(port: number, request: string, ms = 3000): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let data = "";
    const finish = (ended: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      const split = data.indexOf("\r\n\r\n");
      const head = split < 0 ? data : data.slice(0, split);
      const raw = split < 0 ? "" : data.slice(split + 4);
      resolve({ status: Number(head.split(" ")[1]), head, body: /transfer-encoding: chunked/i.test(head) ? unchunk(raw) : raw, ended });
    };
    const timer = setTimeout(() => finish(false), ms);
    socket.on("data", (d) => (data += d.toString("latin1")));
    socket.on("close", () => finish(true));
    socket.on("error", () => {});
    socket.write(request);
  });
}

/** A chunked body's content (a refusal may end without the final chunk). */
function unchunk(raw: string): string {
  let out = "";
  let rest = raw;
  for (;;) {
    const line = rest.indexOf("\r\n");
    const size = line < 0 ? 0 : parseInt(rest.slice(0, line), 16);
    if (!(size > 0)) return out;
    out += rest.slice(line + 2, line + 2 + size);
    rest = rest.slice(line + 4 + size);
  }
}

/** An upgrade request; `host: null` sends none. */
const upgrade = (path: string, host: string | null, extra = "") =>
  `GET ${path} HTTP/1.1\r\n${host === null ? "" : `Host: ${host}\r\n`}Upgrade: websocket\r\nConnection: Upgrade\r\n` +
  `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`;

/** Nothing of the server's insides: no source file, no absolute path, no stack frame. */
function expectNothingLeaked(answer: RawAnswer): void {
  expect(answer.body).not.toMatch(/\.ts\b|\/work\/|\/tmp\/|node_modules|\n\s+at /);
  expect(answer.body.length).toBeLessThan(200);
}

describe.each<Runtime>(["node", "deno", "bun"])("hostile handshakes on %s", (runtime) => {
  let server: RunningServer;
  let host: string;
  const stats = async () => (await (await fetch(`http://${host}/stats`)).json()) as { closed: number };

  beforeAll(async () => {
    // Bun shows its development error page unless NODE_ENV is production: run it in development.
    server = await startServer(runtime, "test/hostile/server.ts", { args: ["--close-timeout", String(CLOSE_TIMEOUT)], exposeGc: true });
    host = `127.0.0.1:${server.port}`;
  }, 30_000);
  afterAll(() => server?.stop());

  it.each(["127.0.0.1:PORT/echo?", "127.0.0.1:PORT/echo#", "a b", "user@127.0.0.1:PORT"])("a malformed Host (%j) gets 400 before routing, and no log line", async (bad) => {
    const badHost = bad.replace("PORT", String(server.port));
    const plain = `GET /nothing HTTP/1.1\r\nHost: ${badHost}\r\n\r\n`;
    const before = server.output().length;
    for (const request of [upgrade("/echo", badHost), upgrade("/nothing", badHost), plain, plain.replace("/nothing", "/echo")]) {
      const answer = await rawRequest(server.port, request);
      expect(answer.status).toBe(400);
      expect(answer.head).not.toMatch(/^HTTP\/1.1 101/);
      expectNothingLeaked(answer);
    }
    expect(server.output().slice(before)).toBe("");
  });

  // A host's characters, but the URL parser may refuse them: a port past 65535, bad
  // percent-encoding, an IPv4 address out of range, bad punycode, a broken IPv6 literal. Where the
  // runtime's URL of the request cannot be parsed that is a malformed Host (400), not a failure
  // of ours (a 500 and a log line, as on Deno and Bun once); where it can (Node takes `xn--a`,
  // Bun rebuilds `[::1:]`), the request goes on.
  it.each(["a:99999", "%zz", "999.1.1.1", "xn--a", "[::1:]"])("a Host no URL may be made of (%j) never gets a 500 or a log line", async (odd) => {
    const plain = `GET /nothing HTTP/1.1\r\nHost: ${odd}\r\n\r\n`;
    const before = server.output().length;
    for (const request of [upgrade("/echo", odd), upgrade("/nothing", odd), plain, plain.replace("/nothing", "/echo")]) {
      const answer = await rawRequest(server.port, request, 1000);
      expect(answer.status).not.toBe(500);
      expectNothingLeaked(answer);
    }
    expect(server.output().slice(before)).toBe("");
  });

  // RFC 9112 §3.2.1: an origin-form target is a path. Read as a relative URL, `//other/echo`
  // would name another host and route as /echo (found in review on Node, over HTTP/1.1 and HTTP/2).
  it.each(["//attacker.example/echo", "/\\attacker.example/echo"])("the target %j routes as the path it is, never as /echo", async (target) => {
    const answer = await rawRequest(server.port, upgrade(target, host), 1000);
    expect(answer.status).not.toBe(101);
    // Deno's and Bun's fallback answers with the pathname it was given: the whole target.
    if (answer.status === 200) expect(answer.body).toBe("fallback //attacker.example/echo");
  });

  // Node and Bun refuse a request without a Host (RFC 9112 §3.2); Deno builds the URL from its own
  // address (HTTP/2 has no Host header), so the request line routes.
  it("no Host: never upgraded by anything but the request line", async () => {
    const answer = await rawRequest(server.port, upgrade("/nothing", null));
    expect(answer.status).toBe(runtime === "deno" ? 200 : 400);
    expect(answer.body).not.toContain("/echo");
    expect(answer.ended).toBe(true);
  });

  it.each([
    ["/accept-throws", ""],
    ["/crlf-header", ""],
    ["/non-latin1-header", ""],
    ["/origin-throws", "Origin: https://example.com\r\n"],
  ])("user code failing at %s gives a fixed 500 and one log line, and ends the connection", async (path, extra) => {
    const before = server.output().split("\nLOG ").length;
    const answer = await rawRequest(server.port, upgrade(path, host, extra));
    expect(answer.status).toBe(500);
    expect(answer.body.trim()).toBe("Internal Server Error");
    expectNothingLeaked(answer);
    expect(answer.ended).toBe(true);
    await expect.poll(() => server.output().split("\nLOG ").length, { timeout: 2000 }).toBe(before + 1);
    expect(answer.head.toLowerCase()).not.toContain("set-cookie");
  });

  // A path with no WebSocket route: Node's serve answers 404; Deno's and Bun's hand the request
  // to the fallback (the app's plain HTTP), which answers 200 here. Either way no 101.
  it.each([
    ["/reject", 403],
    ["/nothing", runtime === "node" ? 404 : 200],
  ])("a refused upgrade at %s ends the connection: a request behind it is never served", async (path, status) => {
    const answer = await rawRequest(server.port, upgrade(path, host) + `GET /smuggled HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    expect(answer.status).toBe(status);
    expect(answer.ended).toBe(true);
    expect(answer.body).not.toContain("fallback /smuggled");
  });

  // Deno sends no body with a HEAD answer, so nothing breaks to end the connection (README,
  // "Runtime differences"); should a Deno release end it, this fails and the README must change.
  it(`a refused HEAD upgrade ${runtime === "deno" ? "cannot end its connection on Deno" : "ends its connection"}`, async () => {
    const head = upgrade("/echo", host).replace(/^GET/, "HEAD");
    const answer = await rawRequest(server.port, head + `GET /smuggled HTTP/1.1\r\nHost: ${host}\r\n\r\n`, 1000);
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.body.includes("fallback /smuggled")).toBe(runtime === "deno");
  });

  // Refusals are the client's to cause, so they must cost no log line: a line (or, as Deno once
  // printed for each, a stack) per refused request would let any client flood the logs.
  it("refused upgrades write nothing to the server's output", async () => {
    const before = server.output().length;
    const refusals = [upgrade("/reject", host), upgrade("/echo", host).replace("Version: 13", "Version: 8"), upgrade("/nothing", host)];
    for (const request of refusals) expect((await rawRequest(server.port, request)).ended).toBe(true);
    // Whatever a runtime prints about a connection it ends, it prints by the time the next one is answered.
    expect((await rawRequest(server.port, upgrade("/reject", host))).status).toBe(403);
    await new Promise((r) => setTimeout(r, 100));
    expect(server.output().slice(before)).toBe("");
  });

  it("a wrong version (426) ends the connection too", async () => {
    const answer = await rawRequest(server.port, upgrade("/echo", host).replace("Version: 13", "Version: 8"));
    expect(answer.status).toBe(426);
    expect(answer.ended).toBe(true);
  });

  it("a 3 GiB length header on a default app is refused at once (64 MiB by default)", async () => {
    const client = await RawClient.handshake(server.port, "/echo");
    expect(client.status).toBe(101);
    // 3 GiB announced, a few bytes sent: the server must not wait for (or allocate) the rest.
    client.write(Buffer.from([0x82, 0xff, 0, 0, 0, 0, 0xc0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]));
    await client.until(() => client.close !== undefined || client.ended, 5000);
    // Deno drops a frame of 64 MiB or more itself, with no close frame (README, "Runtime differences").
    if (runtime === "deno") expect(client.close).toBeUndefined();
    else expect(client.close?.code).toBe(1009);
    client.destroy();
  });

  // Node drops the peer after closeTimeout. Deno cannot drop a socket from JavaScript: onclose
  // runs after closeTimeout and Deno frees the socket at its idle ping. Bun reports the close at
  // once and keeps the socket until its idleTimeout (README, "Runtime differences").
  it("a peer that never finishes the closing handshake: onclose runs, and Node drops it after the close timeout", async () => {
    const before = (await stats()).closed;
    const socket = connect({ port: server.port, host: "127.0.0.1", allowHalfOpen: true });
    let received = Buffer.alloc(0);
    let endedAt = 0;
    socket.on("data", (d: Buffer) => (received = Buffer.concat([received, d])));
    socket.on("end", () => (endedAt = Date.now()));
    socket.on("error", () => {});
    socket.write(upgrade("/echo", host));
    socket.write(clientFrame(1, "close-me"));
    await expect.poll(() => received.includes(Buffer.from([0x88, 6, 0x0f, 0xa0])), { timeout: 3000 }).toBe(true);
    const closeSent = Date.now();
    await expect.poll(async () => (await stats()).closed, { timeout: CLOSE_TIMEOUT + 3000 }).toBe(before + 1);
    const reported = Date.now() - closeSent;
    if (runtime === "bun") expect(reported).toBeLessThan(CLOSE_TIMEOUT);
    else expect(reported).toBeGreaterThanOrEqual(CLOSE_TIMEOUT - 300);
    if (runtime === "node") {
      await expect.poll(() => endedAt, { timeout: 3000 }).toBeGreaterThan(0);
      expect(endedAt - closeSent).toBeGreaterThanOrEqual(CLOSE_TIMEOUT - 300);
    }
    socket.destroy();
  });

  it("a handler that throws on a route without onerror: 1011 to the client and a log line with the route", async () => {
    const client = await RawClient.handshake(server.port, "/throws");
    client.write(clientFrame(1, "boom"));
    await client.until(() => client.close !== undefined, 3000);
    expect(client.close?.code).toBe(1011);
    await expect.poll(() => server.output(), { timeout: 2000 }).toMatch(/LOG onmessage handler threw on http:\/\/127\.0\.0\.1:\d+\/throws \(no onerror on this route\)/);
    client.destroy();
  });
});
