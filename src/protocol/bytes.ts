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

/** XORs `data` with the 4-byte `mask` in place (§5.3). */
export function unmask(data: Uint8Array, mask: Uint8Array): void {
  const n = data.byteLength;
  let i = 0;
  if (n >= WORDWISE) {
    // Bytes up to a 4-byte boundary of the memory, then whole words over an aligned view.
    const lead = (4 - (data.byteOffset & 3)) & 3;
    for (; i < lead; i++) data[i] = data[i]! ^ mask[i]!;
    for (let k = 0; k < 4; k++) maskBytes[k] = mask[(lead + k) & 3]!;
    const w = maskWord[0]!;
    const count = (n - lead) >>> 2;
    const words = new Uint32Array(data.buffer, data.byteOffset + lead, count);
    for (let k = 0; k < count; k++) words[k] = words[k]! ^ w;
    i = lead + count * 4;
  } else {
    const m0 = mask[0]!;
    const m1 = mask[1]!;
    const m2 = mask[2]!;
    const m3 = mask[3]!;
    for (; i + 4 <= n; i += 4) {
      data[i] = data[i]! ^ m0;
      data[i + 1] = data[i + 1]! ^ m1;
      data[i + 2] = data[i + 2]! ^ m2;
      data[i + 3] = data[i + 3]! ^ m3;
    }
  }
  for (; i < n; i++) data[i] = data[i]! ^ mask[i & 3]!;
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
