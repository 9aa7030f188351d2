/**
 * The server side of the opening handshake (RFC 6455 §4.2): which requests are refused and
 * with what answer, the key's shape, the accept value, the offered subprotocols.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkHandshake, hasToken, isValidKey, offeredProtocols } from "../../src/protocol/handshake.ts";

/** The §1.3 example key. */
const KEY = "dGhlIHNhbXBsZSBub25jZQ==";

function upgrade(overrides: Record<string, string | null> = {}): Headers {
  const base: Record<string, string | null> = {
    upgrade: "websocket",
    connection: "Upgrade",
    "sec-websocket-version": "13",
    "sec-websocket-key": KEY,
    ...overrides,
  };
  const headers = new Headers();
  for (const [name, value] of Object.entries(base)) if (value !== null) headers.set(name, value);
  return headers;
}

describe("checkHandshake", () => {
  it("a well-formed version-13 request passes, tokens in any case and position", () => {
    expect(checkHandshake("GET", upgrade())).toBeUndefined();
    expect(checkHandshake("GET", upgrade({ upgrade: "WebSocket", connection: "keep-alive, UPGRADE" }))).toBeUndefined();
  });

  it("no Upgrade: websocket is a 426 that names the protocol to upgrade to (RFC 7231 §6.5.15, RFC 7230 §6.7)", () => {
    for (const headers of [upgrade({ upgrade: null }), upgrade({ upgrade: "h2c" })]) {
      const problem = checkHandshake("GET", headers);
      expect(problem?.status).toBe(426);
      expect(problem?.headers).toEqual({ upgrade: "websocket", connection: "Upgrade" });
      expect(problem?.message).toMatch(/WebSocket/);
    }
  });

  it("a method other than GET is a 400 saying so", () => {
    const problem = checkHandshake("POST", upgrade());
    expect(problem?.status).toBe(400);
    expect(problem?.message).toMatch(/GET/);
  });

  it("no Connection: Upgrade is a 400 saying so", () => {
    for (const connection of [null, "keep-alive"]) {
      const problem = checkHandshake("GET", upgrade({ connection }));
      expect(problem?.status).toBe(400);
      expect(problem?.message).toMatch(/Connection: Upgrade/);
    }
  });

  it("a version other than 13 (or none) is a 426 naming the version spoken (§4.2.2)", () => {
    for (const version of [null, "8", "12", "14", "13, 8"]) {
      const problem = checkHandshake("GET", upgrade({ "sec-websocket-version": version }));
      expect(problem?.status).toBe(426);
      expect(problem?.headers).toEqual({ "sec-websocket-version": "13" });
      expect(problem?.message).toMatch(/version 13/);
    }
  });

  it("a missing or malformed key is a 400 saying what a key is", () => {
    for (const key of [null, "short==", `x${KEY}`]) {
      const problem = checkHandshake("GET", upgrade({ "sec-websocket-key": key }));
      expect(problem?.status).toBe(400);
      expect(problem?.message).toMatch(/16 bytes/);
    }
  });
});

describe("isValidKey (§4.1: base64 of 16 bytes)", () => {
  it.each([KEY, "AAAAAAAAAAAAAAAAAAAAAA==", "+/+/+/+/+/+/+/+/+/+/+w==", ` ${KEY} `])("%j is a key", (key) => {
    expect(isValidKey(key)).toBe(true);
  });

  it.each([
    ["missing", null],
    ["empty", ""],
    ["21 characters and ==", "AAAAAAAAAAAAAAAAAAAAA=="],
    ["23 characters and =", "AAAAAAAAAAAAAAAAAAAAAAA="],
    ["no padding", "AAAAAAAAAAAAAAAAAAAAAAAA"],
    ["junk before a key", `!${KEY}`],
    ["a key inside a longer value", `AAAA${KEY}`],
    ["junk after a key", `${KEY}x`],
    ["a second line after a key", `${KEY}\nAAAAAAAAAAAAAAAAAAAAAA==`],
    ["a character outside base64", "AAAAAAAAAAAAAAAAAAAAA-=="],
  ])("%s is not", (_name, key) => {
    expect(isValidKey(key)).toBe(false);
  });
});

describe("offeredProtocols", () => {
  it("no header offers nothing", () => {
    expect(offeredProtocols(new Headers())).toEqual([]);
  });

  it("the offers in order, trimmed, empty list elements skipped (RFC 7230 §7)", () => {
    const headers = new Headers({ "sec-websocket-protocol": "chat,  superchat ,, v2.json,\t," });
    expect(offeredProtocols(headers)).toEqual(["chat", "superchat", "v2.json"]);
  });

  it("repeated headers are one list", () => {
    const headers = new Headers();
    headers.append("sec-websocket-protocol", "a");
    headers.append("sec-websocket-protocol", "b, c");
    expect(offeredProtocols(headers)).toEqual(["a", "b", "c"]);
  });
});

describe("hasToken", () => {
  /** The definition: some comma-separated part, trimmed, equals the token case-insensitively. */
  const byDefinition = (header: string, token: string) => header.split(",").some((part) => part.trim().toLowerCase() === token);

  it("finds a token alone, among others, in any case and with spaces; not a part of one", () => {
    expect(hasToken("websocket", "websocket")).toBe(true);
    expect(hasToken("WebSocket", "websocket")).toBe(true);
    expect(hasToken("keep-alive, Upgrade", "upgrade")).toBe(true);
    expect(hasToken(" upgrade ", "upgrade")).toBe(true);
    expect(hasToken("upgrades", "upgrade")).toBe(false);
    expect(hasToken("websockex", "websocket")).toBe(false);
    expect(hasToken(null, "upgrade")).toBe(false);
    expect(hasToken("", "upgrade")).toBe(false);
  });

  it("agrees with its definition on any header (the whole-value shortcut included)", () => {
    const part = fc.oneof(fc.constantFrom("upgrade", "Upgrade", "UPGRADE", " upgrade", "keep-alive", "", " "), fc.string({ maxLength: 8 }));
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 4 }), (parts) => {
        const header = parts.join(",");
        expect(hasToken(header, "upgrade")).toBe(header !== "" && byDefinition(header, "upgrade"));
      }),
      { numRuns: 2000 },
    );
  });
});
