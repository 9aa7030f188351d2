import { afterEach, describe, expect, it, vi } from "vitest";
import { Rookery, type RookeryOptions } from "../../mod.ts";
import { decideUpgrade } from "../../src/upgrade.ts";
import { upgradeRequest } from "../support/memory_transport.ts";

describe("app options are validated at construction, and the error names the option", () => {
  it.each<[string, RookeryOptions, RegExp]>([
    ["maxPayload", { maxPayload: -1 }, /^maxPayload must be/],
    ["maxBufferedAmount", { maxBufferedAmount: -1 }, /^maxBufferedAmount must be/],
    ["maxBacklog", { maxBacklog: 1.5 }, /^maxBacklog must be/],
    ["maxFragments", { maxFragments: 0 }, /^maxFragments must be/],
    ["idleTimeout", { idleTimeout: 961 }, /^idleTimeout must be/],
    ["slowReader", { slowReader: "later" as never }, /^slowReader must be/],
    ["allowedOrigins (an entry)", { allowedOrigins: ["example.com"] }, /^allowedOrigins: "example.com" is not an origin/],
    ["allowedOrigins (the value)", { allowedOrigins: "https://a.example" as never }, /^allowedOrigins must be a list/],
  ])("%s", (_name, options, message) => {
    expect(() => new Rookery(options)).toThrow(message);
  });

  it("allowedOrigins entries are kept in their serialized, lower-case form", async () => {
    const app = new Rookery({ allowedOrigins: ["HTTPS://Chat.Example/"] });
    app.ws("/o");
    expect((await decideUpgrade(app, upgradeRequest("/o", { origin: "https://chat.example" }))).kind).toBe("accept");
  });
});

describe("the default logger", () => {
  afterEach(() => void vi.restoreAllMocks());

  it("writes to console.error with a [rookery] prefix, and the error when there is one", async () => {
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    const app = new Rookery();
    const boom = new Error("db down");
    app.ws("/t").onaccept(() => {
      throw boom;
    });
    app.ws("/p").onaccept(() => ({ protocol: "evil" }));
    await decideUpgrade(app, upgradeRequest("/t"));
    await decideUpgrade(app, upgradeRequest("/p", { "sec-websocket-protocol": "chat" }));
    expect(spy.mock.calls).toEqual([
      ["[rookery] onaccept handler threw on /t", boom],
      // No error object: nothing after the message (no "undefined").
      [expect.stringMatching(/^\[rookery\] onaccept on \/p chose subprotocol "evil"/), ""],
    ]);
  });

  it("a logger given in the options replaces it", async () => {
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    const logged: string[] = [];
    const app = new Rookery({ logger: (m) => logged.push(m) });
    app.ws("/t").onaccept(() => Promise.reject(new Error("x")));
    await decideUpgrade(app, upgradeRequest("/t"));
    expect(logged).toEqual(["onaccept handler threw on /t"]);
    expect(spy).not.toHaveBeenCalled();
  });
});

describe("largestPayloadLimit (what a runtime-wide limit, as Bun's, is set to)", () => {
  it("with no routes: the app's limit, else 64 MiB", () => {
    expect(new Rookery().largestPayloadLimit()).toBe(64 * 1024 * 1024);
    expect(new Rookery({ maxPayload: 100 }).largestPayloadLimit()).toBe(100);
  });

  it("the largest over static and dynamic routes, each route ?? app", () => {
    const app = new Rookery({ maxPayload: 100 });
    app.ws("/small").maxPayload(10);
    app.ws("/plain");
    app.ws("/room/:id").maxPayload(5000);
    app.ws("/files/*").maxPayload(50);
    expect(app.largestPayloadLimit()).toBe(5000);
    app.ws("/huge/:x").maxPayload(Infinity);
    expect(app.largestPayloadLimit()).toBe(Infinity);
  });
});
