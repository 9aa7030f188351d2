/**
 * Close frame bodies (RFC 6455 §5.5.1, §7.4): what the server encodes, and how a received body
 * is judged. A bad body's error message becomes the reason of the close frame the server answers
 * with, so it says what was wrong.
 */
import { describe, expect, it } from "vitest";
import { WebSocketError } from "../../src/errors.ts";
import { decodeClosePayload, encodeClosePayload } from "../../src/protocol/close_payload.ts";

const bytes = (...b: number[]) => Uint8Array.from(b);
const utf8 = (s: string) => new TextEncoder().encode(s);

function failure(payload: Uint8Array): WebSocketError {
  const result = decodeClosePayload(payload);
  if (!(result instanceof WebSocketError)) throw new Error(`expected a failure, got ${JSON.stringify(result)}`);
  return result;
}

describe("encodeClosePayload", () => {
  it("a code alone is two bytes, big-endian", () => {
    expect(encodeClosePayload(1000)).toEqual(bytes(0x03, 0xe8));
    expect(encodeClosePayload(4999)).toEqual(bytes(0x13, 0x87));
  });

  it("a reason follows the code as UTF-8", () => {
    expect(encodeClosePayload(1001, "bye")).toEqual(bytes(0x03, 0xe9, 0x62, 0x79, 0x65));
    expect(encodeClosePayload(3000, "😀")).toEqual(Uint8Array.from([0x0b, 0xb8, ...utf8("😀")]));
  });

  it("1005 (no status) is an empty body, reason or not: it may not appear on the wire", () => {
    expect(encodeClosePayload(1005)).toEqual(new Uint8Array(0));
    expect(encodeClosePayload(1005, "ignored")).toEqual(new Uint8Array(0));
  });
});

describe("decodeClosePayload", () => {
  it("an empty body is 1005 with no reason", () => {
    expect(decodeClosePayload(new Uint8Array(0))).toEqual({ code: 1005, reason: "" });
  });

  it("a code with and without a reason", () => {
    expect(decodeClosePayload(bytes(0x03, 0xe8))).toEqual({ code: 1000, reason: "" });
    expect(decodeClosePayload(Uint8Array.from([0x0f, 0xa0, ...utf8("héllo")]))).toEqual({ code: 4000, reason: "héllo" });
  });

  it("reads back what encodeClosePayload wrote, for every code that may be sent", () => {
    for (const code of [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999]) {
      expect(decodeClosePayload(encodeClosePayload(code, "why ✓"))).toEqual({ code, reason: "why ✓" });
    }
  });

  it.each([0x00, 0x03, 0x0f, 0x13, 0xff])("a 1-byte body (byte %i) is a 1002, whatever the byte", (b) => {
    // 0x0f and 0x13 would read as 3840 and 4864, valid codes, if the missing byte were taken as 0.
    const error = failure(bytes(b));
    expect(error.code).toBe(1002);
    expect(error.message).toMatch(/1-byte/);
  });

  it.each([0, 999, 1004, 1005, 1006, 1015, 2999, 5000, 65535])("code %i may not be sent: a 1002 naming it", (code) => {
    const error = failure(bytes(code >> 8, code & 0xff));
    expect(error.code).toBe(1002);
    expect(error.message).toMatch(new RegExp(`code ${code}\\b`));
  });

  it("a reason that is not UTF-8 is a 1007 saying so", () => {
    const error = failure(bytes(0x03, 0xe8, 0x61, 0xff));
    expect(error.code).toBe(1007);
    expect(error.message).toMatch(/UTF-8/);
  });

  it("a leading U+FEFF in the reason is kept (no BOM stripping)", () => {
    expect(decodeClosePayload(Uint8Array.from([0x03, 0xe8, ...utf8("\uFEFFok")]))).toEqual({ code: 1000, reason: "\uFEFFok" });
  });
});
