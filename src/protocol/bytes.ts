/** Byte helpers for the codec: plain views, unmasking in place, concatenation. */

// A plain Uint8Array view, even over a Node Buffer, so messages are the same type on every runtime.
export function view(bytes: Uint8Array, offset: number, length: number): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset + offset, length);
}

/** XORs `data` with the 4-byte `mask` in place (§5.3). */
export function unmask(data: Uint8Array, mask: Uint8Array): void {
  const m0 = mask[0]!;
  const m1 = mask[1]!;
  const m2 = mask[2]!;
  const m3 = mask[3]!;
  const n = data.byteLength;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    data[i] = data[i]! ^ m0;
    data[i + 1] = data[i + 1]! ^ m1;
    data[i + 2] = data[i + 2]! ^ m2;
    data[i + 3] = data[i + 3]! ^ m3;
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
