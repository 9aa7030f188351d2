/**
 * Server frame headers (RFC 6455 §5.2), written in place: the adapter that owns the output
 * buffer (adapters/node/frame_output.ts) puts each header right before its payload, so a frame
 * costs no allocation of its own. Server frames are never masked, and the server never
 * fragments: every frame is final.
 */

/** A frame's first byte: FIN, RSV1 when `compressed` (a permessage-deflate message, RFC 7692 §6), the opcode. */
export function firstByte(opcode: number, compressed = false): number {
  return (compressed ? 0xc0 : 0x80) | opcode;
}

/** The bytes a header takes for a payload of `length` bytes: 2, 4 (16-bit length) or 10 (64-bit). */
export function headerSize(length: number): number {
  return length < 126 ? 2 : length < 0x10000 ? 4 : 10;
}

/** Writes the header of an unmasked frame carrying `length` bytes at `into[at]`; returns its size. */
export function writeHeader(into: Uint8Array, at: number, first: number, length: number): number {
  into[at] = first;
  if (length < 126) {
    into[at + 1] = length;
    return 2;
  }
  if (length < 0x10000) {
    into[at + 1] = 126;
    into[at + 2] = length >>> 8;
    into[at + 3] = length & 0xff;
    return 4;
  }
  into[at + 1] = 127;
  // 2^53 at most: the high word fits in 21 bits, the low one is taken apart without overflow.
  const high = Math.floor(length / 0x100000000);
  const low = length >>> 0;
  into[at + 2] = high >>> 24;
  into[at + 3] = (high >>> 16) & 0xff;
  into[at + 4] = (high >>> 8) & 0xff;
  into[at + 5] = high & 0xff;
  into[at + 6] = low >>> 24;
  into[at + 7] = (low >>> 16) & 0xff;
  into[at + 8] = (low >>> 8) & 0xff;
  into[at + 9] = low & 0xff;
  return 10;
}
