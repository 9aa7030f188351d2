/**
 * The parser's received bytes: taken off the front in order whatever the chunking, as views
 * when a read sits in one chunk (no copy of a payload that arrived whole), as a copy only when
 * it spans chunks, and always plain `Uint8Array`s, even over Node `Buffer`s.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ByteQueue } from "../../src/protocol/byte_queue.ts";

const range = (from: number, n: number) => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);

describe("ByteQueue", () => {
  it("takes bytes in order whatever the chunk sizes and read sizes", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 20 }), fc.array(fc.integer({ min: 0, max: 60 })), (sizes, reads) => {
        const q = new ByteQueue();
        let pushed = 0;
        for (const n of sizes) {
          q.push(range(pushed, n));
          pushed += n;
        }
        let taken = 0;
        for (const r of reads) {
          const n = Math.min(r, q.length);
          expect(q.take(n)).toEqual(range(taken, n));
          taken += n;
          expect(q.length).toBe(pushed - taken);
        }
      }),
      { seed: 6455 },
    );
  });

  it("peek, skip and take agree with the bytes pushed, whatever the chunking", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 12 }), { maxLength: 20 }),
        fc.array(fc.tuple(fc.constantFrom("peek", "skip", "take"), fc.integer({ min: 0, max: 15 }))),
        (sizes, ops) => {
          const q = new ByteQueue();
          let pushed = 0;
          for (const n of sizes) {
            q.push(range(pushed, n));
            pushed += n;
          }
          let front = 0;
          for (const [op, r] of ops) {
            if (q.length === 0) break;
            if (op === "peek") {
              const i = r % q.length;
              expect(q.peek(i)).toBe((front + i) & 0xff);
              continue;
            }
            const n = Math.min(r, q.length);
            if (op === "skip") q.skip(n);
            else expect(q.take(n)).toEqual(range(front, n));
            front += n;
            expect(q.length).toBe(pushed - front);
          }
        },
      ),
      { seed: 6455 },
    );
  });

  it("a read inside one chunk is a view of it, the chunk's rest stays for the next read", () => {
    const q = new ByteQueue();
    const chunk = range(0, 10);
    q.push(chunk);
    const head = q.take(4);
    expect(head.buffer).toBe(chunk.buffer);
    expect([...head]).toEqual([0, 1, 2, 3]);
    const rest = q.take(6);
    expect(rest.buffer).toBe(chunk.buffer);
    expect([...rest]).toEqual([4, 5, 6, 7, 8, 9]);
    expect(q.length).toBe(0);
  });

  it("a read of exactly a whole chunk is a view, and so is the next read inside the next chunk", () => {
    const q = new ByteQueue();
    const a = range(0, 4);
    const b = range(4, 8);
    q.push(a);
    q.push(b);
    expect(q.take(4).buffer).toBe(a.buffer);
    const next = q.take(3);
    expect(next.buffer).toBe(b.buffer);
    expect([...next]).toEqual([4, 5, 6]);
  });

  it("a read spanning chunks is a copy that leaves the chunks' bytes alone", () => {
    const q = new ByteQueue();
    const a = range(0, 3);
    const b = range(3, 3);
    q.push(a);
    q.push(b);
    const both = q.take(5);
    expect([...both]).toEqual([0, 1, 2, 3, 4]);
    both.fill(0);
    expect([...a, ...b]).toEqual([0, 1, 2, 3, 4, 5]);
    expect([...q.take(1)]).toEqual([5]);
  });

  it("reads over a Node Buffer are plain Uint8Arrays", () => {
    const q = new ByteQueue();
    q.push(Buffer.from([1, 2, 3]));
    q.push(Buffer.from([4]));
    expect(Object.getPrototypeOf(q.take(2))).toBe(Uint8Array.prototype);
    expect(Object.getPrototypeOf(q.take(2))).toBe(Uint8Array.prototype);
  });

  it("clear drops everything held: later reads see only bytes pushed after it", () => {
    const q = new ByteQueue();
    q.push(range(0, 5));
    q.push(range(5, 5));
    q.take(2);
    q.clear();
    expect(q.length).toBe(0);
    q.push(range(100, 3));
    expect(q.length).toBe(3);
    expect([...q.take(3)]).toEqual([100, 101, 102]);
  });

  it("a read that spans chunks fills the allocator's buffer whole: dirty memory from it never shows", () => {
    const sizes: number[] = [];
    const q = new ByteQueue((n) => {
      sizes.push(n);
      return new Uint8Array(n).fill(0xee);
    });
    q.push(range(0, 3));
    q.push(range(3, 4));
    q.push(range(7, 10));
    expect([...q.take(2)]).toEqual([0, 1]);
    expect([...q.take(9)]).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // Only the read across chunks allocated; the one inside a chunk was a view.
    expect(sizes).toEqual([9]);
  });
});
