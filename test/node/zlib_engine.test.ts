/**
 * The node:zlib engine behind permessage-deflate: any sequence of messages survives a round trip
 * through one connection's deflater and another's inflater, whatever the window and context
 * settings (property-based), and the inflater's limit stops a bomb.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { zlibEngine } from "../../adapters/node/zlib_engine.ts";
import type { NegotiatedDeflate } from "../../src/protocol/deflate_params.ts";
import { type DeflateEngine, type InflateResult, wirePayload } from "../../src/protocol/permessage_deflate.ts";

const deflate = (engine: DeflateEngine, data: Uint8Array) =>
  new Promise<Uint8Array>((resolve, reject) => engine.deflate(data, (r) => (r instanceof Error ? reject(r) : resolve(r))));
const inflate = (engine: DeflateEngine, data: Uint8Array, max = Infinity) =>
  new Promise<InflateResult>((resolve) => engine.inflate(data, max, resolve));

const params = (over: Partial<NegotiatedDeflate> = {}): NegotiatedDeflate => ({
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
  threshold: 0,
  level: 1,
  memLevel: 8,
  ...over,
});

describe("zlibEngine", () => {
  it("any messages round-trip in order through a deflater and an inflater, with or without context takeover", async () => {
    const message = fc.oneof(fc.uint8Array({ maxLength: 3000 }), fc.string({ maxLength: 2000 }).map((s) => new TextEncoder().encode(s.repeat(3))));
    await fc.assert(
      fc.asyncProperty(
        fc.array(message, { maxLength: 12 }),
        fc.integer({ min: 9, max: 15 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 9 }),
        async (messages, windowBits, noContext, level) => {
          const p = params({ serverMaxWindowBits: windowBits, serverNoContextTakeover: noContext, clientNoContextTakeover: noContext, level });
          const sender = zlibEngine(p);
          const receiver = zlibEngine(p);
          try {
            for (const m of messages) {
              const wire = wirePayload(await deflate(sender, m));
              const back = await inflate(receiver, wire);
              expect(back).toBeInstanceOf(Uint8Array);
              expect(Buffer.from(back as Uint8Array).equals(Buffer.from(m))).toBe(true);
            }
          } finally {
            sender.close();
            receiver.close();
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it("with context takeover a repeated message costs a few bytes; without it, as much as the first time", async () => {
    const line = new TextEncoder().encode(JSON.stringify({ room: "lobby", text: "the same line ".repeat(20) }));
    for (const [noContext, expectSmall] of [
      [false, true],
      [true, false],
    ] as const) {
      const engine = zlibEngine(params({ serverNoContextTakeover: noContext }));
      const first = (await deflate(engine, line)).byteLength;
      const second = (await deflate(engine, line)).byteLength;
      expect(second < first / 2).toBe(expectSmall);
      engine.close();
    }
  });

  it("a message that ends with a final block (RFC 7692 §7.2.3.4) leaves later messages readable, with or without context takeover", async () => {
    // The RFC's own "Hello" with BFINAL set.
    const hello = Uint8Array.of(0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00);
    for (const noContext of [false, true]) {
      const engine = zlibEngine(params({ clientNoContextTakeover: noContext }));
      for (let i = 0; i < 3; i++) {
        const out = await inflate(engine, hello);
        expect(out instanceof Uint8Array && new TextDecoder().decode(out)).toBe("Hello");
      }
      engine.close();
    }
  });

  it("an inflate past its limit reports tooBig; bad data an Error; after close, every call an Error", async () => {
    const engine = zlibEngine(params());
    const zeros = wirePayload(await deflate(zlibEngine(params()), new Uint8Array(1 << 20)));
    expect(await inflate(engine, zeros, 1000)).toBe("tooBig");
    expect(await inflate(zlibEngine(params()), Uint8Array.of(0xff, 0xff, 0xff))).toBeInstanceOf(Error);
    engine.close();
    expect(await inflate(engine, zeros)).toBeInstanceOf(Error);
    await expect(deflate(engine, Uint8Array.of(1))).rejects.toThrow(/closed/);
  });
});
