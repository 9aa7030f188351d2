import { describe, expect, it } from "vitest";
import { Rookery, type RookeryOptions } from "../../mod.ts";
import { type Acceptance, decideUpgrade } from "../../src/upgrade.ts";
import type { WebSocketRoute } from "../../src/route.ts";
import { upgradeRequest } from "../support/memory_transport.ts";

// The Acceptance is what every adapter configures its socket from: each option is route ?? app ?? default.

/** The settings an accepted handshake's connection runs with. */
async function settings(
  appOptions: RookeryOptions,
  configure: (route: WebSocketRoute<unknown>) => void = () => {},
): Promise<Acceptance["settings"]> {
  return (await acceptance(appOptions, configure)).settings;
}

async function acceptance(
  appOptions: RookeryOptions,
  configure: (route: WebSocketRoute<unknown>) => void = () => {},
  request = upgradeRequest("/a"),
): Promise<Acceptance> {
  const app = new Rookery(appOptions);
  configure(app.ws("/a") as WebSocketRoute<unknown>);
  const d = await decideUpgrade(app, request);
  if (d.kind !== "accept") throw new Error(`expected an accept, got ${d.kind}`);
  return d.acceptance;
}

describe("per-socket settings: route ?? app ?? documented default", () => {
  it("defaults: strict masking, 16,384 fragments, 16 MiB send buffer, close slow readers, 1 MiB backlog", async () => {
    const a = await settings({});
    expect({
      allowUnmaskedFrames: a.allowUnmaskedFrames,
      maxFragments: a.maxFragments,
      maxBufferedAmount: a.maxBufferedAmount,
      slowReader: a.slowReader,
      maxBacklog: a.maxBacklog,
    }).toEqual({
      allowUnmaskedFrames: false,
      maxFragments: 16_384,
      maxBufferedAmount: 16 * 1024 * 1024,
      slowReader: "close",
      maxBacklog: 1024 * 1024,
    });
  });

  it("app values apply to routes that set nothing", async () => {
    const a = await settings({ allowUnmaskedFrames: true, maxFragments: 8, maxBufferedAmount: 1000, slowReader: "drop", maxBacklog: 2000 });
    expect([a.allowUnmaskedFrames, a.maxFragments, a.maxBufferedAmount, a.slowReader, a.maxBacklog]).toEqual([true, 8, 1000, "drop", 2000]);
  });

  it("route values win over the app's", async () => {
    const a = await settings(
      { allowUnmaskedFrames: true, maxFragments: 8, maxBufferedAmount: 1000, slowReader: "drop", maxBacklog: 2000 },
      (r) => r.allowUnmaskedFrames(false).maxFragments(3).maxBufferedAmount(10).slowReader("close").maxBacklog(20),
    );
    expect([a.allowUnmaskedFrames, a.maxFragments, a.maxBufferedAmount, a.slowReader, a.maxBacklog]).toEqual([false, 3, 10, "close", 20]);
  });

  it("route values apply without app values", async () => {
    const a = await settings({}, (r) => r.allowUnmaskedFrames(true).maxFragments(Infinity).maxBufferedAmount(0).maxBacklog(0));
    expect([a.allowUnmaskedFrames, a.maxFragments, a.maxBufferedAmount, a.maxBacklog]).toEqual([true, Infinity, 0, 0]);
  });

  it("allowUnmaskedFrames() with no argument turns the lax mode on", async () => {
    expect((await settings({}, (r) => r.allowUnmaskedFrames())).allowUnmaskedFrames).toBe(true);
  });
});

describe("settings resolved once per route", () => {
  it("are shared by the route's connections, and made anew when one of its options changes", async () => {
    const app = new Rookery({ maxBacklog: 2000 });
    const route = app.ws("/a");
    const first = await decideUpgrade(app, upgradeRequest("/a"));
    const second = await decideUpgrade(app, upgradeRequest("/a"));
    if (first.kind !== "accept" || second.kind !== "accept") throw new Error("expected accepts");
    expect(second.acceptance.settings).toBe(first.acceptance.settings);
    expect(Object.isFrozen(first.acceptance.settings)).toBe(true);
    route.maxBacklog(10);
    const third = await decideUpgrade(app, upgradeRequest("/a"));
    if (third.kind !== "accept") throw new Error("expected an accept");
    expect(third.acceptance.settings.maxBacklog).toBe(10);
    expect(first.acceptance.settings.maxBacklog).toBe(2000);
  });

  it("see handlers registered after the route's first connection", async () => {
    const app = new Rookery();
    const route = app.ws("/a");
    const first = await decideUpgrade(app, upgradeRequest("/a"));
    if (first.kind !== "accept") throw new Error("expected an accept");
    const onmessage = () => {};
    route.onmessage(onmessage);
    expect(first.acceptance.settings.handlers.onmessage).toBe(onmessage);
  });
});

describe("what onaccept returns", () => {
  it("null (possible from JavaScript) accepts like undefined, with no data", async () => {
    const a = await acceptance({}, (r) => r.onaccept(() => null as never));
    expect(a.data).toBeUndefined();
    expect(a.protocol).toBe("");
  });
});

describe("deciding without a promise when nothing has to be waited for", () => {
  const quiet = () => new Rookery({ logger: () => {} });

  it("no onaccept, a synchronous onaccept, a refusal, a pass: decided within the call", () => {
    const app = quiet();
    app.ws("/plain");
    app.ws("/sync").onaccept(() => ({ data: 1 }));
    app.ws("/no").onaccept(() => false);
    for (const [path, kind] of [["/plain", "accept"], ["/sync", "accept"], ["/no", "respond"], ["/elsewhere", "pass"]] as const) {
      const d = decideUpgrade(app, upgradeRequest(path));
      expect(d).not.toBeInstanceOf(Promise);
      expect((d as Exclude<typeof d, Promise<unknown>>).kind).toBe(kind);
    }
  });

  it("an onaccept that returns a promise is waited for", async () => {
    const app = quiet();
    app.ws("/async").onaccept(() => Promise.resolve({ data: 2 }));
    const d = decideUpgrade(app, upgradeRequest("/async"));
    expect(d).toBeInstanceOf(Promise);
    const decided = await d;
    expect(decided.kind === "accept" && decided.acceptance.data).toBe(2);
  });

  it("an onaccept that throws, or answers Response.error(), is a logged 500 on either path", async () => {
    const logged: string[] = [];
    const app = new Rookery({ logger: (m) => logged.push(m) });
    app.ws("/throws").onaccept(() => {
      throw new Error("bug");
    });
    app.ws("/rejects").onaccept(() => Promise.reject(new Error("bug")));
    app.ws("/error").onaccept(() => Response.error());
    app.ws("/error-later").onaccept(() => Promise.resolve(Response.error()));
    for (const path of ["/throws", "/rejects", "/error", "/error-later"]) {
      const d = await decideUpgrade(app, upgradeRequest(path));
      expect(d.kind === "respond" && d.response.status).toBe(500);
      expect(d.kind === "respond" && d.response.headers.get("connection")).toBe("close");
    }
    expect(logged).toHaveLength(4);
  });
});
