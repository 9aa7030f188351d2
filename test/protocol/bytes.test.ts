import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { unmask } from "../../src/protocol/bytes.ts";

/** §5.3 byte by byte: the reference the word-at-a-time unmask must agree with. */
function unmaskedByHand(data: Uint8Array, mask: Uint8Array): Uint8Array {
  return data.map((b, i) => b ^ mask[i % 4]!);
}

/** The key's 4 bytes in wire order as the one number `unmask` takes. */
const maskNumber = (m: Uint8Array) => ((m[0]! << 24) | (m[1]! << 16) | (m[2]! << 8) | m[3]!) >>> 0;

describe("unmask", () => {
  it("the key's first byte applies to the payload's first byte (wire order)", () => {
    const data = Uint8Array.of(0, 0, 0, 0, 0);
    unmask(data, 0x12345678);
    expect([...data]).toEqual([0x12, 0x34, 0x56, 0x78, 0x12]);
  });

  it("agrees with the byte-by-byte XOR at every length and alignment", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 600 }),
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        fc.integer({ min: 0, max: 7 }),
        fc.integer({ min: 0, max: 7 }),
        (payload, mask, offset, slack) => {
          // The payload sits at any offset of a larger buffer, as in a socket read; bytes around it stay untouched.
          const memory = new Uint8Array(offset + payload.byteLength + slack).fill(0xa5);
          memory.set(payload, offset);
          const view = memory.subarray(offset, offset + payload.byteLength);
          unmask(view, maskNumber(mask));
          expect(view).toEqual(unmaskedByHand(payload, mask));
          expect(memory.subarray(0, offset).every((b) => b === 0xa5)).toBe(true);
          expect(memory.subarray(offset + payload.byteLength).every((b) => b === 0xa5)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("unmasking twice gives the payload back (the mask is an involution)", () => {
    const payload = Uint8Array.from({ length: 1000 }, (_, i) => (i * 31) & 0xff);
    const data = payload.slice();
    unmask(data, 0x12345678);
    expect(data).not.toEqual(payload);
    unmask(data, 0x12345678);
    expect(data).toEqual(payload);
  });
});
