import { Buffer } from "node:buffer";
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

  it("gives a binary payload read from a larger buffer as a plain Uint8Array of its own, not a Buffer view of the read", () => {
    // What node-redis hands over: a Buffer view of one socket read holding many replies.
    const read = Buffer.alloc(12_600, 7);
    const envelope = encodeEnvelope(newInstanceId(), new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
    read.set(envelope, 4000);
    const decoded = decodeEnvelope(read.subarray(4000, 4000 + envelope.byteLength));
    if (decoded.kind !== "message" || typeof decoded.message === "string") throw new Error(`not a binary message: ${JSON.stringify(decoded)}`);
    const message = decoded.message;
    expect(message).toEqual(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
    expect(Buffer.isBuffer(message)).toBe(false);
    expect(Object.getPrototypeOf(message)).toBe(Uint8Array.prototype);
    expect(message.byteLength).toBe(message.buffer.byteLength);
    expect(message.buffer).not.toBe(read.buffer);
    read.fill(0);
    expect(message[9]).toBe(10);
  });

  it("refuses a payload over the bound before decoding it, and takes one exactly at it", () => {
    const id = newInstanceId();
    const max = 8;
    for (const atBound of ["12345678", "é".repeat(4), new Uint8Array(8)]) {
      expect(decodeEnvelope(encodeEnvelope(id, atBound), max)).toEqual({ kind: "message", from: id, message: atBound });
    }
    // Text is measured in UTF-8 bytes: 5 characters, 9 bytes.
    for (const over of ["123456789", "é".repeat(4) + "x", new Uint8Array(9)]) {
      const decoded = decodeEnvelope(encodeEnvelope(id, over), max);
      expect(decoded).toEqual({ kind: "oversized", why: "its payload of 9 bytes is over maxMessageBytes (8)" });
    }
    // Not decoded: invalid UTF-8 over the bound is oversized, not malformed.
    expect(decodeEnvelope(Uint8Array.from([1, 0x74, ...new Uint8Array(8), ...new Uint8Array(9).fill(0xff)]), max).kind).toBe("oversized");
    // No bound by default.
    expect(decodeEnvelope(encodeEnvelope(id, new Uint8Array(1 << 20))).kind).toBe("message");
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
