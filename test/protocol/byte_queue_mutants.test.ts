/**
 * What the byte queue allocates and holds, exactly: which reads are kept as they came and which
 * are packed into blocks, the blocks' sizes, when a read is a view and when a copy, and what an
 * emptied or streaming queue keeps. The bytes are right whatever the queue does (the other
 * byte_queue suites); these pin its cost, so that a change to a threshold or a guard shows.
 *
 * Thresholds (src/protocol/byte_queue.ts): reads under 1 KiB are packed once 4 chunks wait (or
 * while a region is open); blocks are 1 KiB, doubling to 16 KiB.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { ByteQueue } from "../../src/protocol/byte_queue.ts";
import { isCollected } from "./gc.ts";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** The JS heap in use after a full collection, in bytes. */
function heapAfterGc(): number {
  gc();
  return process.memoryUsage().heapUsed;
}

const range = (from: number, n: number) => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);

/** A queue whose allocations are recorded: their sizes, and the buffers (dirty, so unwritten bytes would show). */
function recorded() {
  const sizes: number[] = [];
  const buffers: Uint8Array[] = [];
  const q = new ByteQueue((n) => {
    sizes.push(n);
    const b = new Uint8Array(n).fill(0xee);
    buffers.push(b);
    return b;
  });
  return { q, sizes, buffers };
}

/** Pushes four 1-byte reads, bytes 0 to 3: the chunks kept as they came behind which small reads are packed. */
function fourKept(q: ByteQueue): void {
  for (let i = 0; i < 4; i++) q.push(range(i, 1));
}

describe("which reads are packed", () => {
  it("the first four waiting reads are kept as they came; the fifth small one opens a 1 KiB block", () => {
    const { q, sizes } = recorded();
    for (let i = 0; i < 4; i++) q.push(range(10 * i, 10));
    expect(sizes).toEqual([]);
    q.push(range(40, 10));
    expect(sizes).toEqual([1024]);
    expect([...q.take(50)]).toEqual([...range(0, 50)]);
  });

  it("a read of 1 KiB is kept as it came behind waiting reads; one of 1023 bytes is packed", () => {
    const { q, sizes } = recorded();
    fourKept(q);
    const kilo = range(4, 1024);
    q.push(kilo);
    expect(sizes).toEqual([]);
    q.push(range(1028, 1023));
    expect(sizes).toEqual([1024]);
    q.skip(4);
    // Kept: a read of it is a view of the pushed chunk.
    expect(q.take(1024).buffer).toBe(kilo.buffer);
    expect([...q.take(1023)]).toEqual([...range(1028, 1023)]);
  });

  it("the reads that count are those still waiting, not those pushed", () => {
    const { q, sizes } = recorded();
    q.push(range(0, 10));
    q.push(range(10, 10));
    q.push(range(20, 10));
    q.skip(20);
    // One chunk waits: three more small reads are kept as they came.
    q.push(range(30, 10));
    q.push(range(40, 10));
    q.push(range(50, 10));
    expect(sizes).toEqual([]);
    q.push(range(60, 10));
    expect(sizes).toEqual([1024]);
    expect([...q.take(q.length)]).toEqual([...range(20, 50)]);
  });

  it("an empty read is no chunk: it neither counts as a waiting read nor holds its buffer", async () => {
    const { q, sizes } = recorded();
    q.push(range(0, 3));
    for (let i = 0; i < 5; i++) q.push(new Uint8Array(0));
    q.push(range(3, 3));
    expect(sizes).toEqual([]);
    expect([...q.take(6)]).toEqual([0, 1, 2, 3, 4, 5]);

    // On an empty queue: an empty view of a large buffer is not kept.
    const empty = new ByteQueue();
    const ref = (() => {
      const big = new Uint8Array(1 << 20);
      empty.push(big.subarray(100, 100));
      return new WeakRef(big.buffer);
    })();
    expect(empty.length).toBe(0);
    expect(await isCollected(ref)).toBe(true);
  });
});

describe("packing blocks", () => {
  it("small reads are packed one after another into one region: a read across them is a view of the block", () => {
    const { q, sizes, buffers } = recorded();
    fourKept(q);
    q.push(range(4, 10));
    q.push(range(14, 10));
    q.push(range(24, 10));
    expect(sizes).toEqual([1024]);
    q.skip(4);
    const read = q.take(30);
    expect(read.buffer).toBe(buffers[0]!.buffer);
    expect(read.byteOffset).toBe(0);
    expect([...read]).toEqual([...range(4, 30)]);
    expect(sizes).toEqual([1024]);
  });

  it("once the reads before it are taken, small reads still go into the open region", () => {
    const { q, sizes, buffers } = recorded();
    fourKept(q);
    q.push(range(4, 10));
    q.skip(4);
    // One chunk waits, the open region: the next small read is packed after it, not kept.
    q.push(range(14, 10));
    const read = q.take(20);
    expect(read.buffer).toBe(buffers[0]!.buffer);
    expect([...read]).toEqual([...range(4, 20)]);
    expect(sizes).toEqual([1024]);
  });

  it("a read that fills the block exactly stays in its region; the next one opens a block twice as large", () => {
    const { q, sizes, buffers } = recorded();
    fourKept(q);
    q.push(range(4, 1000));
    q.push(range(1004, 24));
    expect(sizes).toEqual([1024]);
    q.push(range(1028, 1));
    expect(sizes).toEqual([1024, 2048]);
    q.skip(4);
    const whole = q.take(1024);
    expect(whole.buffer).toBe(buffers[0]!.buffer);
    expect(whole.byteLength).toBe(1024);
    expect([...whole]).toEqual([...range(4, 1024)]);
    const last = q.take(1);
    expect(last.buffer).toBe(buffers[1]!.buffer);
    expect([...last]).toEqual([1028 & 0xff]);
    expect(sizes).toEqual([1024, 2048]);
  });

  it("blocks double from 1 KiB to 16 KiB and stay there", () => {
    const { q, sizes } = recorded();
    fourKept(q);
    // 1000-byte reads: 1 fits a 1 KiB block, 2 a 2 KiB one, ... 16 a 16 KiB one.
    const reads = 1 + 2 + 4 + 8 + 16 + 16 + 1;
    for (let i = 0; i < reads; i++) q.push(range(4 + 1000 * i, 1000));
    expect(sizes).toEqual([1024, 2048, 4096, 8192, 16384, 16384, 16384]);
    q.skip(4);
    const all = q.take(q.length);
    expect(all.byteLength).toBe(1000 * reads);
    let wrong = 0;
    for (let i = 0; i < all.byteLength; i++) if (all[i] !== ((4 + i) & 0xff)) wrong++;
    expect(wrong).toBe(0);
  });

  it("a large read seals the open region; the next small read goes in the same block, after the bytes handed out", () => {
    const { q, sizes, buffers } = recorded();
    fourKept(q);
    q.push(range(4, 24));
    expect(sizes).toEqual([1024]);
    // Four large reads, kept as they came: the region before them is cut to its 24 bytes.
    const large = [0, 1, 2, 3].map((i) => range(28 + 1024 * i, 1024));
    for (const chunk of large) q.push(chunk);
    q.skip(4);
    const first = q.take(24);
    expect(first.buffer).toBe(buffers[0]!.buffer);
    expect([...first]).toEqual([...range(4, 24)]);
    // Four chunks wait: a small read is packed again, in the rest of the first block (it fits exactly).
    q.push(range(28 + 4096, 1000));
    expect(sizes).toEqual([1024]);
    expect([...first]).toEqual([...range(4, 24)]);
    for (const chunk of large) expect(q.take(1024).buffer).toBe(chunk.buffer);
    const packed = q.take(1000);
    expect(packed.buffer).toBe(buffers[0]!.buffer);
    expect(packed.byteOffset).toBe(24);
    expect([...packed]).toEqual([...range(28 + 4096, 1000)]);
    expect(q.length).toBe(0);
    expect(sizes).toEqual([1024]);
  });
});

describe("the chunk array", () => {
  // The same 1 KiB chunk pushed again and again: too large to be packed, so every read is a slot
  // of the array, and the only memory that can grow is the array (8 bytes a slot).
  const chunk = new Uint8Array(1024);
  const N = 1_000_000;

  it("a queue that never empties, read as fast as it is pushed, keeps a short array (slots of read chunks are reused)", () => {
    const q = new ByteQueue();
    // Three reads wait throughout (with one, the array would stay short by chance under more rules).
    for (let i = 0; i < 3; i++) q.push(chunk);
    const before = heapAfterGc();
    for (let i = 0; i < N; i++) {
      q.push(chunk);
      q.skip(1024);
    }
    const grown = heapAfterGc() - before;
    expect(q.length).toBe(3 * 1024);
    // A slot per read would be 8 MB.
    expect(grown).toBeLessThan(1024 * 1024);
  });

  it("a queue that held a million reads lets go of its array once emptied", () => {
    const q = new ByteQueue();
    const before = heapAfterGc();
    for (let i = 0; i < N; i++) q.push(chunk);
    expect(q.length).toBe(N * 1024);
    q.skip(q.length);
    const grown = heapAfterGc() - before;
    expect(grown).toBeLessThan(1024 * 1024);
    // And it works as before.
    q.push(range(0, 5));
    q.push(range(5, 5));
    expect([...q.take(10)]).toEqual([...range(0, 10)]);
  });

  it("reading one chunk and pushing one while 100,000 wait moves each chunk a bounded number of times", () => {
    // Moving the waiting chunks down on every push once one is read (instead of once half are)
    // would move 100,000 chunks per push here, 10^10 moves: the test would run for minutes (no
    // clock is read; vitest fails a test past its timeout, Stryker reports a timeout).
    const K = 100_000;
    const q = new ByteQueue();
    for (let i = 0; i < K; i++) q.push(chunk);
    for (let i = 0; i < K; i++) {
      q.skip(1024);
      q.push(chunk);
    }
    expect(q.length).toBe(K * 1024);
    q.clear();
    expect(q.length).toBe(0);
  });
});
