/**
 * Reassembly of fragmented messages and the fragment bound: bytes kept in order whatever the
 * fragment sizes (packed small ones, viewed large ones, empty ones), text checked per fragment,
 * and the failures a message the engine cannot hold turns into.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { WebSocketError } from "../../src/errors.ts";
import { FrameParser } from "../../src/protocol/frame_parser.ts";
import { Opcode } from "../../src/protocol/opcodes.ts";
import { decodeText, Reassembly } from "../../src/protocol/reassembly.ts";
import { clientFrame } from "../support/raw_client.ts";
import { isCollected } from "./gc.ts";

function parse(stream: Uint8Array, maxFragments: number): string[] {
  const out: string[] = [];
  const parser = new FrameParser(
    {
      message: (m, bin) => out.push(bin ? `binary:${(m as Uint8Array).byteLength}` : `text:${m as string}`),
      ping: () => out.push("ping"),
      pong: () => {},
      closeReceived: (code) => out.push(`close:${code}`),
      error: (e) => out.push(`error:${e.code}:${e.message}`),
    },
    { maxPayload: Infinity, allowUnmasked: false, maxFragments },
  );
  parser.push(stream);
  return out;
}

/** A message as `count` fragments of `each` bytes. */
function fragmented(opcode: number, count: number, each: Uint8Array | string): Buffer {
  return Buffer.concat(Array.from({ length: count }, (_, i) => clientFrame(i === 0 ? opcode : 0, each, { fin: i === count - 1 })));
}

describe("the fragment bound (maxFragments)", () => {
  it("a message in exactly maxFragments frames is delivered; one more fails with 1008", () => {
    expect(parse(fragmented(Opcode.BINARY, 5, "ab"), 5)).toEqual(["binary:10"]);
    expect(parse(fragmented(Opcode.BINARY, 6, "ab"), 5)).toEqual(["error:1008:Message in more than 5 fragments"]);
  });

  it("counts data frames only: pings between fragments do not count", () => {
    const stream = Buffer.concat([clientFrame(1, "a", { fin: false }), clientFrame(9, ""), clientFrame(9, ""), clientFrame(0, "b")]);
    expect(parse(stream, 2)).toEqual(["ping", "ping", "text:ab"]);
  });

  it("the bound applies per message: a new message starts a new count", () => {
    const stream = Buffer.concat([fragmented(Opcode.TEXT, 3, "x"), fragmented(Opcode.TEXT, 3, "y")]);
    expect(parse(stream, 3)).toEqual(["text:xxx", "text:yyy"]);
  });
});

describe("Reassembly", () => {
  it("keeps bytes in order whatever the fragment sizes (empty, packed, viewed)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: 1, maxLength: 40 }), fc.integer(), (sizes, seed) => {
        const r = new Reassembly(Opcode.BINARY);
        const parts = sizes.map((n, i) => Uint8Array.from({ length: n }, (_, j) => (seed + i * 31 + j) & 0xff));
        parts.forEach((p, i) => expect(r.add(p.slice(), i === parts.length - 1)).toBeUndefined());
        const whole = r.finish();
        expect(whole).toEqual(Uint8Array.from(parts.flatMap((p) => [...p])));
        expect(r.fragments).toBe(parts.length);
      }),
    );
  });

  it("text: a code point split over fragments (with empty ones between) is whole; bad bytes fail at their fragment", () => {
    const euro = new TextEncoder().encode("€");
    const r = new Reassembly(Opcode.TEXT);
    for (const part of [euro.subarray(0, 1), new Uint8Array(0), euro.subarray(1, 2), euro.subarray(2)]) expect(r.add(part, false)).toBeUndefined();
    expect(r.add(new Uint8Array(0), true)).toBeUndefined();
    expect(r.finish()).toBe("€");

    const bad = new Reassembly(Opcode.TEXT);
    expect(bad.add(Uint8Array.of(0x61), false)).toBeUndefined();
    expect((bad.add(Uint8Array.of(0xff), false) as WebSocketError).code).toBe(1007);
    // A text that ends inside a code point fails at the last fragment.
    const cut = new Reassembly(Opcode.TEXT);
    expect(cut.add(Uint8Array.of(0x61, 0xe2, 0x82), false)).toBeUndefined();
    expect((cut.add(new Uint8Array(0), true) as WebSocketError).code).toBe(1007);
  });
});

describe("decodeText: which failure a decoder error is", () => {
  const throwing = (error: Error) => ({ decode: () => { throw error; } }) as unknown as TextDecoder;
  const bytes = (n: number) => ({ byteLength: n }) as Uint8Array;

  it("bad bytes (a TypeError) fail with 1007", () => {
    expect((decodeText(Uint8Array.of(0xff)) as WebSocketError).code).toBe(1007);
    expect((decodeText(bytes(10), throwing(new TypeError("invalid"))) as WebSocketError).code).toBe(1007);
  });

  it("a string too long fails with 1009, whatever the engine throws (Node: Error, V8: RangeError, Deno: TypeError)", () => {
    expect((decodeText(bytes(10), throwing(Object.assign(new Error("too long"), { code: "ERR_STRING_TOO_LONG" }))) as WebSocketError).code).toBe(1009);
    expect((decodeText(bytes(10), throwing(new RangeError("Invalid string length"))) as WebSocketError).code).toBe(1009);
    expect((decodeText(bytes(0x20000000), throwing(new TypeError("buffer exceeds maximum length"))) as WebSocketError).code).toBe(1009);
  });

  it("a TypeError on a text of exactly V8's longest string in bytes is bad bytes: that many bytes always fit", () => {
    expect((decodeText(bytes(0x1fffffe8), throwing(new TypeError("invalid"))) as WebSocketError).code).toBe(1007);
  });

  it("the error message (the close reason the client gets) says which failure it is", () => {
    expect((decodeText(Uint8Array.of(0xff)) as WebSocketError).message).toMatch(/not valid UTF-8/);
    expect((decodeText(bytes(10), throwing(new RangeError("Invalid string length"))) as WebSocketError).message).toMatch(/too long/);
  });
});

describe("Reassembly: memory in proportion to the bytes", () => {
  const pattern = (n: number, from: number) => Uint8Array.from({ length: n }, (_, i) => (from + i * 7) & 0xff);

  it("fragments larger than a packing block, between small ones, keep their bytes in order", () => {
    const sizes = [20_000, 3, 40_000, 1, 17_000, 1023, 1024, 16_384];
    const r = new Reassembly(Opcode.BINARY);
    const parts = sizes.map((n, i) => pattern(n, i));
    parts.forEach((p, i) => expect(r.add(p.slice(), i === parts.length - 1)).toBeUndefined());
    expect(r.finish()).toEqual(Uint8Array.from(parts.flatMap((p) => [...p])));
  });

  it("small fragments filling several packing blocks keep their bytes in order", () => {
    const parts = Array.from({ length: 60 }, (_, i) => pattern(1000, i));
    const r = new Reassembly(Opcode.BINARY);
    parts.forEach((p, i) => r.add(p.slice(), i === parts.length - 1));
    expect(r.finish()).toEqual(Uint8Array.from(parts.flatMap((p) => [...p])));
  });

  it("4096 one-byte fragments take a few KiB, not a buffer each", () => {
    const source = pattern(4096, 0);
    const r = new Reassembly(Opcode.BINARY);
    const before = process.memoryUsage().arrayBuffers;
    for (let i = 0; i < 4096; i++) r.add(source.subarray(i, i + 1), false);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1 << 20);
    r.add(new Uint8Array(0), true);
    expect(r.finish()).toEqual(source);
  });

  it("a small fragment does not keep the chunk it was read from alive", async () => {
    const r = new Reassembly(Opcode.BINARY);
    const ref = (() => {
      const chunk = new Uint8Array(1 << 20).fill(9);
      r.add(chunk.subarray(100, 110), false);
      return new WeakRef(chunk.buffer);
    })();
    expect(await isCollected(ref)).toBe(true);
    r.add(Uint8Array.of(1), true);
    expect(r.finish()).toEqual(Uint8Array.of(9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 1));
  });

  it("a message whose bytes all came in one large fragment is that fragment, not a copy", () => {
    const big = pattern(4096, 0);
    const r = new Reassembly(Opcode.BINARY);
    r.add(new Uint8Array(0), false);
    r.add(big, false);
    r.add(new Uint8Array(0), true);
    expect(r.finish()).toBe(big);
  });

  it("a large fragment cut out of a much larger socket read is kept as a copy of its own bytes", () => {
    const read = new Uint8Array(64 * 1024);
    const r = new Reassembly(Opcode.BINARY);
    expect(r.add(read.subarray(0, 2048), false)).toBeUndefined();
    expect(r.add(new Uint8Array(0), true)).toBeUndefined();
    const whole = r.finish() as Uint8Array;
    expect(whole.byteLength).toBe(2048);
    expect(whole.buffer.byteLength).toBe(2048);
    // A fragment that fills most of its buffer stays a view.
    const own = new Uint8Array(2048);
    const r2 = new Reassembly(Opcode.BINARY);
    r2.add(own, false);
    r2.add(new Uint8Array(0), true);
    expect((r2.finish() as Uint8Array).buffer).toBe(own.buffer);
  });

  it("a message too large for one buffer fails with 1009", () => {
    // Stand-ins for two 2^52-byte fragments: only their lengths are read before the copy.
    const huge = { byteLength: 2 ** 52, buffer: { byteLength: 2 ** 52 } } as Uint8Array;
    const r = new Reassembly(Opcode.BINARY);
    expect(r.add(huge, false)).toBeUndefined();
    expect(r.add(huge, true)).toBeUndefined();
    const result = r.finish() as WebSocketError;
    expect(result.code).toBe(1009);
    expect(result.message).toMatch(/too large/);
  });
});
