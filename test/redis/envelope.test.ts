import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeEnvelope, encodeEnvelope, HEADER_BYTES, newInstanceId, sameInstance } from "../../adapters/redis/envelope.ts";

describe("Redis channel envelope", () => {
  it("round-trips any text and any bytes, keeping text text and binary binary", () => {
    const id = newInstanceId();
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "grapheme" }), fc.uint8Array({ maxLength: 2048 })), (message) => {
        const decoded = decodeEnvelope(encodeEnvelope(id, message));
        expect(decoded).toEqual({ kind: "message", from: id, message });
        if (decoded.kind === "message") expect(typeof decoded.message).toBe(typeof message);
      }),
    );
  });

  it("keeps a leading U+FEFF (the fuzzer's strings never start with one)", () => {
    const decoded = decodeEnvelope(encodeEnvelope(newInstanceId(), "\uFEFFhi"));
    expect(decoded.kind === "message" && decoded.message).toBe("\uFEFFhi");
  });

  it("gives binary payloads as a copy, so the channel buffer may be reused", () => {
    const bytes = encodeEnvelope(newInstanceId(), new Uint8Array([1, 2, 3]));
    const decoded = decodeEnvelope(bytes);
    bytes.fill(0);
    expect(decoded.kind === "message" && decoded.message).toEqual(new Uint8Array([1, 2, 3]));
  });

  it("tells instances apart by their id", () => {
    const a = newInstanceId();
    const b = newInstanceId();
    expect(sameInstance(a, a.slice())).toBe(true);
    expect(sameInstance(a, b)).toBe(false);
    expect(a.byteLength).toBe(HEADER_BYTES - 2);
  });

  it.each([
    ["shorter than the header", new Uint8Array(5), /shorter than the header/],
    ["another format version", Uint8Array.from([2, 0x74, ...new Uint8Array(8)]), /version 2/],
    ["an unknown kind", Uint8Array.from([1, 0x78, ...new Uint8Array(8)]), /kind 120/],
    ["text that is not UTF-8", Uint8Array.from([1, 0x74, ...new Uint8Array(8), 0xc3]), /UTF-8/],
  ])("reports a message that is %s as malformed", (_name, bytes, why) => {
    const decoded = decodeEnvelope(bytes);
    expect(decoded.kind).toBe("malformed");
    if (decoded.kind === "malformed") expect(decoded.why).toMatch(why);
  });
});
