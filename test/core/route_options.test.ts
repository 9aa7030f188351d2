import { describe, expect, it } from "vitest";
import { Rookery } from "../../mod.ts";
import type { WebSocketRoute } from "../../src/route.ts";

// A route's options are checked when they are set; the error names the option and the route,
// so an app with many routes says which line is wrong.

const route = () => new Rookery().ws("/chat/:room") as WebSocketRoute<unknown>;

describe("route option errors name the option and the route", () => {
  it.each<[string, (r: WebSocketRoute<unknown>) => unknown, RegExp]>([
    ["maxPayload", (r) => r.maxPayload(-1), /^maxPayload of route \/chat\/:room must be/],
    ["maxBufferedAmount", (r) => r.maxBufferedAmount(Number.NaN), /^maxBufferedAmount of route \/chat\/:room must be/],
    ["maxBacklog", (r) => r.maxBacklog(-5), /^maxBacklog of route \/chat\/:room must be/],
    ["maxFragments", (r) => r.maxFragments(0), /^maxFragments of route \/chat\/:room must be/],
    ["idleTimeout", (r) => r.idleTimeout(-1), /^idleTimeout of route \/chat\/:room must be/],
    ["allowedOrigins (an entry)", (r) => r.allowedOrigins(["chat.example"]), /^allowedOrigins of route \/chat\/:room: "chat.example" is not an origin/],
    ["allowedOrigins (the value)", (r) => r.allowedOrigins("https://a.example" as never), /^allowedOrigins of route \/chat\/:room must be a list/],
  ])("%s", (_name, set, message) => {
    expect(() => set(route())).toThrow(message);
  });

  it("a handler that is not a function names the handler and the route", () => {
    expect(() => route().onmessage("nope" as never)).toThrow(new TypeError("onmessage on route /chat/:room must be a function"));
    expect(() => route().onaccept(undefined as never)).toThrow(/^onaccept on route \/chat\/:room must be a function$/);
  });
});

describe("subprotocols must be HTTP tokens", () => {
  it.each([["a b"], [""], ["chat,v2"], ["chät"]])("%j is refused, quoted in the message", (p) => {
    expect(() => route().subprotocols([p])).toThrow(new TypeError(`Subprotocol ${JSON.stringify(p)} is not a valid HTTP token`));
  });

  it.each([42, null, ["chat"]])("a non-string (%j) is refused, even one that reads as a token", (p) => {
    expect(() => route().subprotocols([p as never])).toThrow(TypeError);
  });

  it("tokens with every allowed punctuation pass", () => {
    expect(() => route().subprotocols(["v1.chat+json", "x!#$%&'*^_`|~-"])).not.toThrow();
  });
});
