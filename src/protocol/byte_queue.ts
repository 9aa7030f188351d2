/**
 * The bytes received and not yet parsed: the chunks as they came, and a way to take `n` bytes
 * off the front that hands out a view when they sit in one chunk and copies only when a read
 * spans chunks.
 */
import { view } from "./bytes.ts";

const EMPTY: Uint8Array = new Uint8Array(0);

export class ByteQueue {
  #chunks: Uint8Array[] = [];
  /** Bytes held. */
  length = 0;

  push(chunk: Uint8Array): void {
    this.#chunks.push(chunk);
    this.length += chunk.byteLength;
  }

  clear(): void {
    this.#chunks = [];
    this.length = 0;
  }

  /** Takes `n` (at most `length`) bytes off the front. Throws a `RangeError` if `n` bytes cannot be one buffer. */
  take(n: number): Uint8Array {
    if (n === 0) return EMPTY;
    const first = this.#chunks[0]!;
    if (first.byteLength >= n) {
      this.length -= n;
      if (first.byteLength === n) this.#chunks.shift();
      else this.#chunks[0] = view(first, n, first.byteLength - n);
      return view(first, 0, n);
    }
    const out = new Uint8Array(n);
    this.length -= n;
    let offset = 0;
    while (offset < n) {
      const chunk = this.#chunks[0]!;
      const take = Math.min(chunk.byteLength, n - offset);
      out.set(take === chunk.byteLength ? chunk : chunk.subarray(0, take), offset);
      offset += take;
      if (take === chunk.byteLength) this.#chunks.shift();
      else this.#chunks[0] = view(chunk, take, chunk.byteLength - take);
    }
    return out;
  }
}
