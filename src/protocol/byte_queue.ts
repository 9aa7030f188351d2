/**
 * The bytes received and not yet parsed, read from the front. Header bytes are read one at a
 * time where they lie (no view per header); `take` hands out a view when the bytes sit in one
 * chunk and copies only when a read spans chunks.
 *
 * Its cost follows the bytes, not the number of reads: the chunks are read from a head index
 * (no `shift` per chunk), so completing a frame that came in 100,000 reads is one pass over
 * them; and once a few chunks wait behind a frame that is not complete, small ones are copied
 * into packing blocks instead of each being kept as an object of its own (a 1-byte read kept
 * as it came costs about 200 bytes). A chunk pushed onto an empty queue, the common case of
 * whole frames per read, is kept as it came: no copy.
 */
import { view } from "./bytes.ts";

const EMPTY: Uint8Array = new Uint8Array(0);

/**
 * Chunks under this size pushed behind waiting bytes are copied into a block. From 1 KiB on, a
 * chunk's object is a fifth of its bytes at most and copying it would cost more than keeping
 * it; below, copying is a `memcpy` of under 1 KiB (the same bound as fragments in reassembly.ts).
 */
const SMALL_CHUNK = 1024;
/**
 * Chunks kept as they came before small ones are packed: a frame split over a few reads, as
 * TCP does, costs no copy and no block.
 */
const KEPT_CHUNKS = 4;
/** Blocks start at 1 KiB (a small chunk always fits) and double up to 16 KiB. */
const FIRST_BLOCK = 1024;
const BLOCK = 16 * 1024;
/** Slots of the chunk array an empty queue keeps; a longer array (after a flood of reads) is dropped. */
const IDLE_SLOTS = 64;

/**
 * Makes the buffer a read that spans chunks is copied into, and the blocks small chunks are
 * packed into; its bytes need not be zeroed (only bytes written are read or handed out).
 */
export type Allocate = (length: number) => Uint8Array;

const zeroed: Allocate = (length) => new Uint8Array(length);

export class ByteQueue {
  /**
   * The chunks held are `#chunks[#head]` to `#chunks[#tail - 1]`; every other slot is `EMPTY`,
   * so nothing read stays referenced. The slots are reused: no array operation per read.
   */
  #chunks: Uint8Array[] = [];
  #head = 0;
  #tail = 0;
  /** Bytes of the first chunk already read. */
  #offset = 0;
  /** Bytes held. */
  length = 0;
  /**
   * The block small chunks are packed into and how much of it is written. Blocks are append-only:
   * a view `take` returned may lie in one (and may be kept as a message), so no byte handed out
   * is ever written again. An empty queue lets go of its block.
   */
  #block: Uint8Array = EMPTY;
  #used = 0;
  /**
   * Where in `#block` the last chunk starts when it is an open region of it, else -1. An open
   * region is a view to the block's end of which only the bytes up to `#used` are written; reads
   * never go past them since they never go past `length`.
   */
  #region = -1;
  readonly #allocate: Allocate;

  constructor(allocate: Allocate = zeroed) {
    this.#allocate = allocate;
  }

  push(chunk: Uint8Array): void {
    const n = chunk.byteLength;
    if (n === 0) return;
    if (this.length === 0) {
      // Empty: the queue is at rest (head and tail 0, no block), so this is one store.
      const chunks = this.#chunks;
      if (chunks.length === 0) chunks.push(chunk);
      else chunks[0] = chunk;
      this.#tail = 1;
    } else if (n < SMALL_CHUNK && (this.#region >= 0 || this.#tail - this.#head >= KEPT_CHUNKS)) {
      this.#pack(chunk);
    } else {
      if (this.#region >= 0) this.#seal();
      this.#append(chunk);
    }
    this.length += n;
  }

  clear(): void {
    this.length = 0;
    this.#rest();
  }

  /** The byte `i` places from the front (`i` below `length`), left in place. */
  peek(i: number): number {
    const chunks = this.#chunks;
    let k = this.#offset + i;
    let c = this.#head;
    let chunk = chunks[c]!;
    while (k >= chunk.byteLength) {
      k -= chunk.byteLength;
      chunk = chunks[++c]!;
    }
    return chunk[k]!;
  }

  /** Drops `n` (at most `length`) bytes off the front. */
  skip(n: number): void {
    if ((this.length -= n) === 0) return this.#rest();
    // Bytes remain, so some chunk ends past `offset`: the walk stops on it.
    const chunks = this.#chunks;
    let offset = this.#offset + n;
    let head = this.#head;
    let chunk = chunks[head]!;
    while (offset >= chunk.byteLength) {
      offset -= chunk.byteLength;
      chunks[head] = EMPTY;
      chunk = chunks[++head]!;
    }
    this.#head = head;
    this.#offset = offset;
  }

  /** Takes `n` (at most `length`) bytes off the front. Throws a `RangeError` if `n` bytes cannot be one buffer. */
  take(n: number): Uint8Array {
    if (n === 0) return EMPTY;
    const chunks = this.#chunks;
    const first = chunks[this.#head]!;
    const offset = this.#offset;
    if (first.byteLength - offset >= n) {
      const bytes = view(first, offset, n);
      this.skip(n);
      return bytes;
    }
    const out = this.#allocate(n);
    out.set(first.subarray(offset), 0);
    let filled = first.byteLength - offset;
    for (let c = this.#head + 1; filled < n; c++) {
      const chunk = chunks[c]!;
      const count = Math.min(chunk.byteLength, n - filled);
      out.set(count === chunk.byteLength ? chunk : chunk.subarray(0, count), filled);
      filled += count;
    }
    this.skip(n);
    return out;
  }

  /** Copies a small chunk to the end of the open region, opening one (in a new block if need be). */
  #pack(chunk: Uint8Array): void {
    const n = chunk.byteLength;
    let block = this.#block;
    if (this.#region < 0 || this.#used + n > block.byteLength) {
      if (this.#region >= 0) this.#seal();
      if (this.#used + n > block.byteLength) {
        block = this.#block = this.#allocate(Math.min(BLOCK, Math.max(FIRST_BLOCK, 2 * block.byteLength)));
        this.#used = 0;
      }
      this.#region = this.#used;
      this.#append(view(block, this.#used, block.byteLength - this.#used));
    }
    block.set(chunk, this.#used);
    this.#used += n;
  }

  /** Cuts the open region (the last chunk) to its written bytes, before a chunk is kept after it. */
  #seal(): void {
    const start = this.#region;
    this.#chunks[this.#tail - 1] = view(this.#block, start, this.#used - start);
    this.#region = -1;
  }

  #append(chunk: Uint8Array): void {
    const chunks = this.#chunks;
    let tail = this.#tail;
    const head = this.#head;
    // Full, and at least half of it read: move the chunks held down instead of growing (each
    // chunk is moved at most once per chunk read before it, so this stays linear).
    if (tail === chunks.length && head > 0 && 2 * head >= tail) {
      let to = 0;
      for (let from = head; from < tail; from++) {
        chunks[to++] = chunks[from]!;
        chunks[from] = EMPTY;
      }
      tail = to;
      this.#head = 0;
    }
    if (tail === chunks.length) chunks.push(chunk);
    else chunks[tail] = chunk;
    this.#tail = tail + 1;
  }

  /** Back to rest once nothing is held: no chunk or block referenced, a short array kept for reuse. */
  #rest(): void {
    const chunks = this.#chunks;
    for (let c = this.#head; c < this.#tail; c++) chunks[c] = EMPTY;
    if (chunks.length > IDLE_SLOTS) this.#chunks = [];
    this.#head = 0;
    this.#tail = 0;
    this.#offset = 0;
    this.#region = -1;
    this.#block = EMPTY;
    this.#used = 0;
  }
}
