import { describe, expect, it } from "vitest";
import { Rookery } from "../../mod.ts";
import { fitReason } from "../../src/close_codes.ts";
import { checkFragments, checkIdleTimeout, checkOrigins, checkPayloadLimit, checkSlowReader, exceedsLimit, utf8Length } from "../../src/limits.ts";
import { connect, settle, upgradeRequest } from "../support/memory_transport.ts";

describe("effective maxPayload precedence", () => {
  const cases: { name: string; app?: number; route?: number; fits: number; over: number | undefined }[] = [
    { name: "none set: 64 MiB (Rookery's secure default, a departure from Crow)", fits: 64 << 20, over: (64 << 20) + 1 },
    { name: "app Infinity: no limit (Crow's default)", app: Infinity, fits: 65 << 20, over: undefined },
    { name: "app only", app: 10, fits: 10, over: 11 },
    { name: "route only", route: 8, fits: 8, over: 9 },
    { name: "both: the route's wins (smaller)", app: 100, route: 5, fits: 5, over: 6 },
    { name: "both: the route's wins (larger)", app: 5, route: 100, fits: 100, over: 101 },
    { name: "route Infinity disables the app limit", app: 5, route: Infinity, fits: 1 << 20, over: undefined },
    { name: "zero allows only empty messages", route: 0, fits: 0, over: 1 },
  ];

  it.each(cases)("$name", async ({ app: appLimit, route: routeLimit, fits, over }) => {
    const app = new Rookery(appLimit === undefined ? {} : { maxPayload: appLimit });
    const events: string[] = [];
    const route = app
      .ws("/m")
      .onmessage((_c, m) => void events.push(`message:${(m as Uint8Array).byteLength}`))
      .onerror((_c, e) => void events.push(`error:${e.code}`))
      .onclose((_c, _r, code) => void events.push(`close:${code}`));
    if (routeLimit !== undefined) route.maxPayload(routeLimit);
    const r = await connect(app, upgradeRequest("/m"));
    if (!("socket" in r)) throw new Error("rejected");
    await settle();
    r.socket.events.message(new Uint8Array(fits), true);
    if (over !== undefined) r.socket.events.message(new Uint8Array(over), true);
    await settle();
    const expected = [`message:${fits}`];
    if (over !== undefined) expected.push("error:1009", "close:1009");
    expect(events).toEqual(expected);
    if (over !== undefined) expect(r.socket.serverClose?.code).toBe(1009);
    expect(app.largestPayloadLimit()).toBe(routeLimit ?? appLimit ?? 64 << 20);
  });

  it("text is measured in UTF-8 bytes, not UTF-16 units", async () => {
    const app = new Rookery({ maxPayload: 10 });
    const got: string[] = [];
    app.ws("/t").onmessage((_c, m) => void got.push(m as string)).onerror((_c, e) => void got.push(`error:${e.code}`));
    const r = await connect(app, upgradeRequest("/t"));
    if (!("socket" in r)) throw new Error("rejected");
    await settle();
    r.socket.events.message("ééééé", false); // 10 bytes
    r.socket.events.message("éééééé", false); // 12 bytes, 6 units
    await settle();
    expect(got).toEqual(["ééééé", "error:1009"]);
  });
});

describe("UTF-8 length and limit checks", () => {
  it.each([
    ["", 0],
    ["abc", 3],
    ["é", 2],
    ["€", 3],
    ["😀", 4],
    ["\ud800", 3], // lone surrogate: encoded as U+FFFD by TextEncoder, 3 bytes
    ["\u007f", 1],
    ["\u0080", 2],
    ["\u07ff", 2],
    ["\u0800", 3],
    ["\ud800\udc00", 4], // U+10000, the first pair
    ["\udbff\udfff", 4], // U+10FFFF, the last pair
    ["x\ud800", 4], // lone high surrogate at the end
    ["\ud800a", 4], // lone high surrogate in the middle
    ["\ud800é", 5],
    ["\ud800\ud800\udc00", 7], // a lone high surrogate, then a pair
    ["\udbff\ue000", 6], // a high surrogate followed by a BMP character past the low range
    ["a\udc00b", 5], // lone low surrogate in the middle
    ["€\udc00", 6], // a low surrogate after a non-surrogate does not pair with it
    ["\udfff", 3],
    ["\udfff\udc00", 6], // two low surrogates never make a pair
  ])("utf8Length(%j) = %i, same as TextEncoder", (s, n) => {
    expect(utf8Length(s)).toBe(n);
    expect(new TextEncoder().encode(s).byteLength).toBe(n);
  });

  it("exceedsLimit agrees with TextEncoder around the limit", () => {
    for (const s of ["a".repeat(30), "é".repeat(15), "€".repeat(10), "😀".repeat(8)]) {
      const bytes = new TextEncoder().encode(s).byteLength;
      expect(exceedsLimit(s, bytes)).toBe(false);
      expect(exceedsLimit(s, bytes - 1)).toBe(true);
    }
  });

  it("exceedsLimit agrees with TextEncoder at every limit, the UTF-16 length shortcuts included", () => {
    for (const s of ["abcd", "éé", "€€€", "😀😀", "a\ud800", "\udc00é€😀"]) {
      const bytes = new TextEncoder().encode(s).byteLength;
      for (let limit = 0; limit <= s.length * 3 + 1; limit++) expect(exceedsLimit(s, limit), `${s} at ${limit}`).toBe(bytes > limit);
      expect(exceedsLimit(s, Infinity)).toBe(false);
    }
  });

  it("bytes are measured by byteLength; Infinity never exceeds", () => {
    expect(exceedsLimit(new Uint8Array(5), 5)).toBe(false);
    expect(exceedsLimit(new Uint8Array(6), 5)).toBe(true);
    expect(exceedsLimit(new Uint8Array(6), Infinity)).toBe(false);
  });
});

describe("the 1009 failure names the limit", () => {
  it("onerror's message and the close reason say which limit the message went over", async () => {
    const app = new Rookery();
    const errors: string[] = [];
    app.ws("/m").maxPayload(10).onerror((_c, e) => void errors.push(e.message));
    const r = await connect(app, upgradeRequest("/m"));
    if (!("socket" in r)) throw new Error("rejected");
    await settle();
    r.socket.events.message("x".repeat(11), false);
    await settle();
    expect(errors).toEqual(["Message over the limit of 10 bytes"]);
    expect(r.socket.serverClose).toEqual({ code: 1009, reason: "Message over the limit of 10 bytes" });
  });

  // Bun reports its own ceiling (2^32 bytes) as too big even on an unlimited route.
  it("on an unlimited route, a runtime's too-big names the runtime's ceiling, not a limit of Infinity", async () => {
    const app = new Rookery();
    const errors: string[] = [];
    app.ws("/m").maxPayload(Infinity).onerror((_c, e) => void errors.push(e.message));
    const r = await connect(app, upgradeRequest("/m"));
    if (!("socket" in r)) throw new Error("rejected");
    await settle();
    r.socket.events.fail({ kind: "tooBig" });
    await settle();
    expect(errors).toEqual(["Message over the largest the runtime takes (the route sets no limit)"]);
  });
});

describe("validators refuse bad values with a message that says what is allowed", () => {
  it.each([
    ["NaN", Number.NaN],
    ["a numeric string", "10" as unknown as number],
    ["a symbol", Symbol("x") as unknown as number],
  ])("a byte limit that is %s", (_name, bad) => {
    expect(() => checkPayloadLimit(bad, "maxPayload")).toThrow(/^maxPayload must be a non-negative number of bytes or Infinity, got /);
  });

  it("a byte limit with a fraction", () => {
    expect(() => checkPayloadLimit(1.5, "maxPayload")).toThrow(/^maxPayload must be a whole number of bytes, got 1.5$/);
  });

  it("a fragment count that is not a number at all is a RangeError, not a failed conversion", () => {
    expect(() => checkFragments(Symbol("x") as unknown as number, "maxFragments")).toThrow(RangeError);
    expect(() => checkFragments("5" as unknown as number, "maxFragments")).toThrow(/^maxFragments must be a whole number of fragments/);
  });

  it("slowReader names the two policies", () => {
    expect(() => checkSlowReader("fast" as never)).toThrow(new TypeError('slowReader must be "close" or "drop", got "fast"'));
  });

  it.each(["https://a.example", { length: 0 }, 42])("allowedOrigins that is neither a list nor a function (%j)", (bad) => {
    expect(() => checkOrigins(bad as never, "allowedOrigins")).toThrow(new TypeError("allowedOrigins must be a list of origins or a function"));
  });

  it("idleTimeout: 0 to 960 seconds (Bun's ceiling), fractions included", () => {
    for (const ok of [0, 0.5, 960]) expect(checkIdleTimeout(ok, "idleTimeout")).toBe(ok);
    for (const bad of [960.5, -0.5, "10" as unknown as number]) {
      expect(() => checkIdleTimeout(bad, "idleTimeout")).toThrow(/^idleTimeout must be a number of seconds from 0 \(off\) to 960, got /);
    }
  });
});

describe("fitReason (close reasons the server writes from error messages)", () => {
  it("keeps a reason of up to 123 bytes and cuts a longer one on a character boundary", () => {
    expect(fitReason("x".repeat(123))).toBe("x".repeat(123));
    for (const ch of ["x", "é", "€", "🐦"]) {
      const cut = fitReason(ch.repeat(200));
      expect(utf8Length(cut)).toBeLessThanOrEqual(123);
      expect(cut.endsWith("...")).toBe(true);
      expect(cut.slice(0, -3)).toBe(ch.repeat([...cut.slice(0, -3)].length));
    }
  });
});

describe("maxFragments validation", () => {
  it.each([0, -1, 1.5, Number.NaN])("rejects %s on the app and on a route", (bad) => {
    expect(() => new Rookery({ maxFragments: bad })).toThrow(RangeError);
    expect(() => new Rookery().ws("/x").maxFragments(bad)).toThrow(/maxFragments of route \/x/);
  });
  it.each([1, 16_384, Infinity])("takes %s", (good) => {
    expect(checkFragments(good, "maxFragments")).toBe(good);
  });
});
