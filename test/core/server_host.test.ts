/**
 * The server host every entry point shares: the request flow (route, decide, fallback with the
 * runtime's second argument), its own shutdown, option checks, and the typed failures an adapter
 * reports, turned into the same `WebSocketError`s on every runtime.
 */
import { describe, expect, it } from "vitest";
import { Rookery } from "../../mod.ts";
import type { SocketEvents, SocketFailure, SocketPort } from "../../src/socket_port.ts";
import { ServerHost } from "../../src/server_host.ts";
import type { Acceptance } from "../../src/upgrade.ts";
import { settle, upgradeRequest } from "../support/memory_transport.ts";

function quiet(): { app: Rookery; logged: string[] } {
  const logged: string[] = [];
  return { app: new Rookery({ logger: (message) => void logged.push(message) }), logged };
}

/** A port that records the server's close, answered by the peer when `echo`. */
function recordingPort(echo: boolean): { port: SocketPort; closes: { code: number; reason: string }[]; events?: SocketEvents } {
  const out: { port: SocketPort; closes: { code: number; reason: string }[]; events?: SocketEvents } = {
    closes: [],
    port: {
      send: () => "sent",
      close(code, reason) {
        out.closes.push({ code, reason });
        if (echo) queueMicrotask(() => out.events?.closed(code, reason));
      },
      bufferedAmount: 0,
      terminate: () => {},
    },
  };
  return out;
}

async function accepted(host: ServerHost<unknown>, path = "/ws"): Promise<Acceptance> {
  const answer = await host.handle(upgradeRequest(path), undefined);
  if (answer.kind !== "accept") throw new Error(`not upgraded: ${answer.response.status}`);
  return answer.acceptance;
}

describe("ServerHost.handle: the request flow", () => {
  it("a WebSocket route is upgraded; its refusals end the connection", async () => {
    const { app } = quiet();
    app.ws("/ws");
    app.ws("/no").onaccept(() => false);
    const host = new ServerHost(app);
    expect((await host.handle(upgradeRequest("/ws"), undefined)).kind).toBe("accept");
    const refused = await host.handle(upgradeRequest("/no"), undefined);
    expect(refused).toMatchObject({ kind: "respond", endsConnection: true });
    if (refused.kind === "respond") {
      expect(refused.response.status).toBe(403);
      expect(refused.response.headers.get("connection")).toBe("close");
    }
  });

  it("other paths go to the fallback with the runtime's own second argument", async () => {
    const { app } = quiet();
    app.ws("/ws");
    const seen: unknown[] = [];
    const env = { runtime: "server object" };
    const host = new ServerHost<typeof env>(app, {
      fetch: (request, e) => {
        seen.push(e);
        return new Response(`fallback ${new URL(request.url).pathname}`);
      },
    });
    const answer = await host.handle(new Request("http://127.0.0.1/page"), env);
    expect(answer.kind).toBe("respond");
    if (answer.kind !== "respond") return;
    expect(await answer.response.text()).toBe("fallback /page");
    expect(answer.endsConnection).toBe(false);
    expect(seen).toEqual([env]);
  });

  it("a fallback's answer to an upgrade request it did not take ends the connection; without a fallback, 404", async () => {
    const { app } = quiet();
    const withFallback = new ServerHost(app, { fetch: () => new Response("page") });
    const answer = await withFallback.handle(upgradeRequest("/elsewhere"), undefined);
    expect(answer).toMatchObject({ kind: "respond", endsConnection: true });
    const bare = await new ServerHost(app).handle(new Request("http://127.0.0.1/x"), undefined);
    expect(bare.kind === "respond" && bare.response.status).toBe(404);
  });

  it("a throwing fallback is a logged 500, never a rejection", async () => {
    const { app, logged } = quiet();
    const host = new ServerHost(app, {
      fetch: () => {
        throw new Error("fallback bug");
      },
    });
    const answer = await host.handle(new Request("http://127.0.0.1/x"), undefined);
    expect(answer.kind === "respond" && answer.response.status).toBe(500);
    expect(logged.join("\n")).toMatch(/HTTP handler failed on \/x/);
  });

  it("never rejects, even when reading the request fails after the fallback answered: a logged 500", async () => {
    const { app, logged } = quiet();
    const host = new ServerHost(app, { fetch: () => new Response("page") });
    const request = new Request("http://127.0.0.1/page");
    // Routing reads `get`; only the check for a refused upgrade, after the fallback, reads `has`.
    Object.defineProperty(request, "headers", {
      value: {
        get: () => null,
        has: () => {
          throw new Error("unreadable headers");
        },
      },
    });
    const answer = await host.handle(request, undefined);
    expect(answer).toMatchObject({ kind: "respond", endsConnection: true });
    expect(answer.kind === "respond" && answer.response.status).toBe(500);
    expect(logged).toEqual(["WebSocket request failed"]);
  });

  it("an invalid closeTimeout names the option and the value", () => {
    const { app } = quiet();
    expect(() => new ServerHost(app, { closeTimeout: -5 })).toThrow("closeTimeout must be a non-negative number of milliseconds, got -5");
  });

  it("failedRequest: a fixed 500 that closes the connection, and the error in the log", async () => {
    const { app, logged } = quiet();
    const response = new ServerHost(app).failedRequest(new Error("secret detail"));
    expect(response.status).toBe(500);
    expect(response.headers.get("connection")).toBe("close");
    expect(await response.text()).not.toMatch(/secret/);
    expect(logged).toEqual(["WebSocket request failed"]);
  });
});

describe("ServerHost options", () => {
  it("closeTimeout defaults to 5000 and must be a non-negative finite number", () => {
    const { app } = quiet();
    expect(new ServerHost(app).closeTimeout).toBe(5000);
    expect(new ServerHost(app, { closeTimeout: 0 }).closeTimeout).toBe(0);
    for (const bad of [-1, Number.NaN, Infinity, "5" as unknown as number]) {
      expect(() => new ServerHost(app, { closeTimeout: bad })).toThrow(RangeError);
    }
  });
});

/** An app with `/ws`, and `/slow`, whose `onaccept` settles (accepting) once `release` is called. */
function gatedApp(): { app: Rookery; release: () => void } {
  const { app } = quiet();
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  app.ws("/slow").onaccept(async () => {
    await gate;
    return true;
  });
  app.ws("/ws");
  return { app, release };
}

describe("ServerHost.close: handshakes it meets", () => {
  // Found in review: an onaccept pending at shutdown opened its connection afterwards, which
  // never got the 1001 and held the server open.
  it("an upgrade decided after close() began is refused with 503; one pending is dropped through its adapter's hook", async () => {
    const { app, release } = gatedApp();
    app.ws("/refused").onaccept(() => false);
    const host = new ServerHost(app, { fetch: () => new Response("fallback") });
    const pending = host.handle(upgradeRequest("/slow"), undefined);
    const dropped: string[] = [];
    const decided = host.deciding(() => dropped.push("slow"));
    host.deciding(() => dropped.push("other"))();
    await host.close();
    expect(dropped).toEqual(["slow"]);
    release();
    const late = await pending;
    decided();
    expect(late.kind === "respond" && late.response.status).toBe(503);
    const after = await host.handle(upgradeRequest("/ws"), undefined);
    if (after.kind !== "respond") throw new Error("accepted after close()");
    expect([after.response.status, after.endsConnection, after.response.headers.get("connection"), await after.response.text()]).toEqual([
      503,
      true,
      "close",
      "Server shutting down\n",
    ]);
    expect(host.size).toBe(0);
    // Only acceptances change: a refusal stays what it was, and the fallback still answers.
    const refused = await host.handle(upgradeRequest("/refused"), undefined);
    expect(refused.kind === "respond" && refused.response.status).toBe(403);
    const plain = await host.handle(new Request("http://localhost/page"), undefined);
    expect(plain.kind === "respond" && (await plain.response.text())).toBe("fallback");
    // Another entry point of the same app still accepts.
    expect((await new ServerHost(app).handle(upgradeRequest("/ws"), undefined)).kind).toBe("accept");
    // A decided handshake is forgotten by the app as well: its shutdown drops nothing more.
    await app.close(100);
    expect(dropped).toEqual(["slow"]);
  });

  // The entry points that have no handle of their own (handleUpgrade, Deno's handler, Bun's
  // handlers) are shut down through app.close(): it must meet pending handshakes the same way.
  it("app.close() refuses an upgrade whose onaccept straddled it and drops pending ones on every host; later requests are served", async () => {
    const { app, release } = gatedApp();
    const hosts = [new ServerHost(app), new ServerHost(app)];
    const pending = hosts.map((host) => host.handle(upgradeRequest("/slow"), undefined));
    const dropped: number[] = [];
    const decided = hosts.map((host, i) => host.deciding(() => dropped.push(i)));
    await app.close();
    expect(dropped).toEqual([0, 1]);
    release();
    for (const answer of await Promise.all(pending)) expect(answer.kind === "respond" && answer.response.status).toBe(503);
    for (const done of decided) done();
    // app.close() is not a stop: a request after it is served, and a later close drops nothing twice.
    for (const host of hosts) expect((await host.handle(upgradeRequest("/ws"), undefined)).kind).toBe("accept");
    await app.close(100);
    expect(dropped).toEqual([0, 1]);
  });
});

describe("ServerHost.close: this entry point's connections only", () => {
  it("1001 to its own connections, resolved by their last onclose; another host's stay open", async () => {
    const { app } = quiet();
    const closes: string[] = [];
    app.ws("/ws").onclose((conn, reason, code) => void closes.push(`${conn.url.endsWith("/ws")}:${code}:${reason}`));
    const [a, b] = [new ServerHost(app), new ServerHost(app)];
    const mine = recordingPort(true);
    mine.events = a.connect(await accepted(a), mine.port, "127.0.0.1");
    mine.events.open();
    const other = recordingPort(true);
    other.events = b.connect(await accepted(b), other.port, "127.0.0.1");
    other.events.open();
    await settle();
    expect([a.size, b.size, app.connections.size]).toEqual([1, 1, 2]);
    const started = Date.now();
    await a.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(mine.closes).toEqual([{ code: 1001, reason: "server shutting down" }]);
    expect(other.closes).toEqual([]);
    expect(closes).toEqual(["true:1001:server shutting down"]);
    expect([a.size, b.size, app.connections.size]).toEqual([0, 1, 1]);
  });

  it("a peer that never answers: resolves after closeTimeout plus the margin", async () => {
    const { app } = quiet();
    app.ws("/ws");
    const host = new ServerHost(app, { closeTimeout: 50 });
    const silent = recordingPort(false);
    silent.events = host.connect(await accepted(host), silent.port, undefined);
    silent.events.open();
    await settle();
    const started = Date.now();
    await host.close();
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(1000);
    expect(waited).toBeLessThan(3000);
    expect(silent.closes).toHaveLength(1);
  });
});

describe("typed failures from the adapter", () => {
  const cases: [SocketFailure, string, number, string][] = [
    [{ kind: "protocol", code: 1002, detail: "unmasked frame" }, "ProtocolError", 1002, "unmasked frame"],
    [{ kind: "protocol", code: 1007, detail: "bad UTF-8" }, "InvalidPayloadError", 1007, "bad UTF-8"],
    [{ kind: "tooBig" }, "MessageTooBigError", 1009, "Message over the limit of 100 bytes"],
    [{ kind: "slowReader" }, "PolicyViolationError", 1008, "Send buffer over 200 bytes: the client reads too slowly"],
    [{ kind: "idle", detail: "no pong" }, "ConnectionLostError", 1006, "Idle timeout: no pong"],
    [{ kind: "lost", detail: "ECONNRESET" }, "ConnectionLostError", 1006, "ECONNRESET"],
    [{ kind: "internal" }, "HandlerError", 1011, "internal error"],
  ];
  for (const [failure, name, code, message] of cases) {
    it(`${failure.kind}${"code" in failure ? ` ${failure.code}` : ""}: onerror gets ${name} ${code}`, async () => {
      const { app } = quiet();
      const errors: string[] = [];
      app.ws("/ws").maxPayload(100).maxBufferedAmount(200).onerror((_c, e) => void errors.push(`${e.name} ${e.code} ${e.message}`));
      const host = new ServerHost(app);
      const socket = recordingPort(true);
      socket.events = host.connect(await accepted(host), socket.port, undefined);
      socket.events.open();
      await settle();
      socket.events.fail(failure);
      await settle();
      expect(errors).toEqual([`${name} ${code} ${message}`]);
      // A close frame goes out for what the peer did; none for a dead or vanished peer.
      expect(socket.closes.map((c) => c.code)).toEqual(code === 1006 ? [] : [code]);
    });
  }

  it("a lost transport's error keeps what caused it", async () => {
    const { app } = quiet();
    const causes: unknown[] = [];
    app.ws("/ws").onerror((_c, e) => void causes.push(e.cause));
    const host = new ServerHost(app);
    const socket = recordingPort(false);
    socket.events = host.connect(await accepted(host), socket.port, undefined);
    socket.events.open();
    await settle();
    const cause = new Error("ECONNRESET");
    socket.events.fail({ kind: "lost", detail: "read ECONNRESET", cause });
    await settle();
    expect(causes).toEqual([cause]);
  });

  it("after an idle timeout the close is reported as 1006 without a reason, whatever the runtime said (Deno: 1001)", async () => {
    const { app } = quiet();
    const closes: string[] = [];
    app.ws("/ws").onclose((_c, reason, code) => void closes.push(`${code}:${reason}`));
    const host = new ServerHost(app);
    const socket = recordingPort(false);
    socket.events = host.connect(await accepted(host), socket.port, undefined);
    socket.events.open();
    await settle();
    socket.events.fail({ kind: "idle", detail: "No response from ping frame." });
    socket.events.closed(1001, "going away");
    await settle();
    expect(closes).toEqual(["1006:"]);
  });

  it("an idle timeout while our own close is under way is only its end: the close we sent is reported", async () => {
    const { app } = quiet();
    const closes: string[] = [];
    const errors: string[] = [];
    app
      .ws("/ws")
      .onerror((_c, e) => void errors.push(e.name))
      .onclose((_c, reason, code) => void closes.push(`${code}:${reason}`));
    const host = new ServerHost(app);
    const socket = recordingPort(false);
    socket.events = host.connect(await accepted(host), socket.port, undefined);
    socket.events.open();
    await settle();
    socket.events.close(1000, "bye");
    socket.events.fail({ kind: "idle", detail: "No response from ping frame." });
    socket.events.closed(1006, "");
    await settle();
    expect(errors).toEqual([]);
    expect(closes).toEqual(["1000:bye"]);
  });
});
