/**
 * The bytes received and not yet parsed: the chunks as they came, read from the front. Header
 * bytes are read one at a time where they lie (no view per header); `take` hands out a view
 * when the bytes sit in one chunk and copies only when a read spans chunks.
 */
import { view } from "./bytes.ts";

const EMPTY: Uint8Array = new Uint8Array(0);

/** Makes the buffer a read that spans chunks is copied into; its bytes need not be zeroed. */
export type Allocate = (length: number) => Uint8Array;

const zeroed: Allocate = (length) => new Uint8Array(length);

export class ByteQueue {
  #chunks: Uint8Array[] = [];
  /** Bytes of the first chunk already read. */
  #offset = 0;
  /** Bytes held. */
  length = 0;
  readonly #allocate: Allocate;

  constructor(allocate: Allocate = zeroed) {
    this.#allocate = allocate;
  }

  push(chunk: Uint8Array): void {
    this.#chunks.push(chunk);
    this.length += chunk.byteLength;
  }

  clear(): void {
    this.#chunks = [];
    this.#offset = 0;
    this.length = 0;
  }

  /** The byte `i` places from the front (`i` below `length`), left in place. */
  peek(i: number): number {
    let k = this.#offset + i;
    let c = 0;
    let chunk = this.#chunks[0]!;
    while (k >= chunk.byteLength) {
      k -= chunk.byteLength;
      chunk = this.#chunks[++c]!;
    }
    return chunk[k]!;
  }

  /** Drops `n` (at most `length`) bytes off the front. */
  skip(n: number): void {
    this.length -= n;
    let offset = this.#offset + n;
    while (this.#chunks.length > 0 && offset >= this.#chunks[0]!.byteLength) {
      offset -= this.#chunks[0]!.byteLength;
      this.#chunks.shift();
    }
    this.#offset = offset;
  }

  /** Takes `n` (at most `length`) bytes off the front. Throws a `RangeError` if `n` bytes cannot be one buffer. */
  take(n: number): Uint8Array {
    if (n === 0) return EMPTY;
    const first = this.#chunks[0]!;
    const offset = this.#offset;
    if (first.byteLength - offset >= n) {
      const bytes = view(first, offset, n);
      this.skip(n);
      return bytes;
    }
    const out = this.#allocate(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.#chunks[0]!;
      const start = filled === 0 ? offset : 0;
      const count = Math.min(chunk.byteLength - start, n - filled);
      out.set(start === 0 && count === chunk.byteLength ? chunk : chunk.subarray(start, start + count), filled);
      filled += count;
      this.skip(count);
    }
    return out;
  }
}
