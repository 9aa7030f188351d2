/** Byte helpers for the codec: plain views, unmasking in place, concatenation. */

// A plain Uint8Array view, even over a Node Buffer, so messages are the same type on every runtime.
export function view(bytes: Uint8Array, offset: number, length: number): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset + offset, length);
}

/** Payloads from this many bytes are unmasked a 32-bit word at a time. */
const WORDWISE = 64;
// The mask rotated to a word boundary, read back as one native-endian word (no DataView, no endianness test).
const maskBytes = new Uint8Array(4);
const maskWord = new Uint32Array(maskBytes.buffer);

/**
 * XORs `data` in place with the masking key (§5.3), given as one number: its 4 bytes in wire
 * order, big-endian (`0x12345678` for the key 12 34 56 78). A number costs a parser nothing to
 * keep, where a 4-byte array is a typed array and its buffer.
 */
export function unmask(data: Uint8Array, mask: number): void {
  const m0 = mask >>> 24;
  const m1 = (mask >>> 16) & 0xff;
  const m2 = (mask >>> 8) & 0xff;
  const m3 = mask & 0xff;
  const n = data.byteLength;
  let i = 0;
  if (n >= WORDWISE) {
    // Bytes up to a 4-byte boundary of the memory, then whole words over an aligned view.
    const lead = (4 - (data.byteOffset & 3)) & 3;
    for (; i < lead; i++) data[i] = data[i]! ^ ((mask >>> (24 - 8 * i)) & 0xff);
    for (let k = 0; k < 4; k++) maskBytes[k] = (mask >>> (24 - 8 * ((lead + k) & 3))) & 0xff;
    const w = maskWord[0]!;
    const count = (n - lead) >>> 2;
    const words = new Uint32Array(data.buffer, data.byteOffset + lead, count);
    for (let k = 0; k < count; k++) words[k] = words[k]! ^ w;
    i = lead + count * 4;
  } else {
    for (; i + 4 <= n; i += 4) {
      data[i] = data[i]! ^ m0;
      data[i + 1] = data[i + 1]! ^ m1;
      data[i + 2] = data[i + 2]! ^ m2;
      data[i + 3] = data[i + 3]! ^ m3;
    }
  }
  for (; i < n; i++) data[i] = data[i]! ^ ((mask >>> (24 - 8 * (i & 3))) & 0xff);
}

export function concat(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  return out;
}
