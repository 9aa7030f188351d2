/**
 * permessage-deflate in the codec (RFC 7692): the parser hands compressed messages over whole
 * (fragments joined, no UTF-8 check on deflate bytes), the wire bound of a compressed message,
 * the tail rule, and what an inflate result becomes.
 */
import { constants, deflateRawSync } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { WebSocketError } from "../../src/errors.ts";
import { FrameParser } from "../../src/protocol/frame_parser.ts";
import { compressedBound, inflatedMessage, wirePayload, withoutTail } from "../../src/protocol/permessage_deflate.ts";
import { clientFrame } from "../support/raw_client.ts";

function parse(chunks: Uint8Array[], maxPayload = Infinity, deflate = true): string[] {
  const out: string[] = [];
  const parser = new FrameParser(
    {
      message: (m, bin) => out.push(bin ? `binary:${Buffer.from(m as Uint8Array).toString("hex")}` : `text:${m as string}`),
      compressed: (p, bin) => out.push(`compressed:${bin ? "binary" : "text"}:${Buffer.from(p).toString("hex")}`),
      ping: (p) => out.push(`ping:${Buffer.from(p).toString()}`),
      closeReceived: (code) => out.push(`close:${code}`),
      error: (e) => out.push(`error:${e.code}:${e.message}`),
    },
    { maxPayload, allowUnmasked: false, maxFragments: Infinity, deflate },
  );
  for (const c of chunks) parser.push(Uint8Array.from(c));
  return out;
}

const RSV1 = 4;

describe("the parser with permessage-deflate", () => {
  it("a compressed frame is handed over whole, as its wire bytes; an uncompressed one as a message", () => {
    expect(parse([clientFrame(1, Buffer.from([0xf2, 0x48]), { rsv: RSV1 }), clientFrame(1, "plain")])).toEqual([
      "compressed:text:f248",
      "text:plain",
    ]);
    expect(parse([clientFrame(2, Buffer.from([1, 2]), { rsv: RSV1 })])).toEqual(["compressed:binary:0102"]);
  });

  it("fragments of a compressed text are joined without a UTF-8 check (deflate bytes are not text), control frames between", () => {
    const out = parse([
      clientFrame(1, Buffer.from([0xff, 0xfe]), { rsv: RSV1, fin: false }),
      clientFrame(9, "p"),
      clientFrame(0, Buffer.from([0xc3]), { fin: false }),
      clientFrame(0, Buffer.from([0x28])),
    ]);
    expect(out).toEqual(["ping:p", "compressed:text:fffec328"]);
  });

  it("without the extension, RSV1 is a protocol error", () => {
    expect(parse([clientFrame(1, "x", { rsv: RSV1 })], Infinity, false)).toEqual(["error:1002:Reserved bits set without an extension"]);
  });

  it("a compressed message's wire size may pass the limit only by deflate's own overhead", () => {
    const limit = 1000;
    const within = Buffer.alloc(compressedBound(limit));
    const over = Buffer.alloc(compressedBound(limit) + 1);
    expect(parse([clientFrame(2, within, { rsv: RSV1 })], limit)[0]).toMatch(/^compressed:binary:/);
    expect(parse([clientFrame(2, over, { rsv: RSV1 })], limit)).toEqual([`error:1009:Message over the limit of ${limit} bytes`]);
    // Across fragments too: the first frame's RSV1 decides for the whole message.
    const half = compressedBound(limit) / 2 + 1;
    expect(
      parse([clientFrame(2, Buffer.alloc(half), { rsv: RSV1, fin: false }), clientFrame(0, Buffer.alloc(half))], limit),
    ).toEqual([`error:1009:Message over the limit of ${limit} bytes`]);
    // An uncompressed message keeps the exact limit.
    expect(parse([clientFrame(2, Buffer.alloc(limit + 1))], limit)).toEqual([`error:1009:Message over the limit of ${limit} bytes`]);
  });
});

describe("compressedBound", () => {
  it("is the limit plus an eighth plus 1 KiB", () => {
    expect(compressedBound(8000)).toBe(8000 + 1000 + 1024);
    expect(compressedBound(1)).toBe(1 + 1 + 1024);
  });

  it("is no bound for no limit, and never below the limit", () => {
    expect(compressedBound(Infinity)).toBe(Infinity);
    expect(compressedBound(0)).toBeGreaterThanOrEqual(0);
    expect(compressedBound(100)).toBeGreaterThan(100);
  });

  it("holds any message zlib deflates, incompressible ones included", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70_000 }), fc.constantFrom(0, 1, 6, 9), (data, level) => {
        const wire = withoutTail(deflateRawSync(data, { level, finishFlush: constants.Z_SYNC_FLUSH }));
        expect(wire.byteLength).toBeLessThanOrEqual(compressedBound(data.byteLength));
      }),
      { numRuns: 60 },
    );
  });
});

describe("withoutTail", () => {
  it("removes 00 00 ff ff at the end, and nothing else", () => {
    expect([...withoutTail(Uint8Array.of(1, 2, 0, 0, 0xff, 0xff))]).toEqual([1, 2]);
    expect([...withoutTail(Uint8Array.of(1, 0, 0xff, 0xff, 0))]).toEqual([1, 0, 0xff, 0xff, 0]);
    expect([...withoutTail(Uint8Array.of(0xff))]).toEqual([0xff]);
    // Each of the four bytes must match: one off, and nothing is removed.
    for (const almost of [[9, 1, 0, 0xff, 0xff], [9, 0, 1, 0xff, 0xff], [9, 0, 0, 1, 0xff], [9, 0, 0, 0xff, 1]]) {
      expect([...withoutTail(Uint8Array.from(almost))]).toEqual(almost);
    }
    expect([...withoutTail(Uint8Array.of(0, 0xff, 0xff))]).toEqual([0, 0xff, 0xff]);
  });
});

describe("wirePayload", () => {
  it("is the output without its tail, and a lone 0x00 (an empty stored block) when nothing is left", () => {
    expect([...wirePayload(Uint8Array.of(5, 0, 0, 0xff, 0xff))]).toEqual([5]);
    expect([...wirePayload(Uint8Array.of(0, 0, 0, 0xff, 0xff))]).toEqual([0]);
    // zlib writes nothing for an empty message flushed right after another flush.
    expect([...wirePayload(new Uint8Array(0))]).toEqual([0]);
    expect([...wirePayload(Uint8Array.of(0, 0, 0xff, 0xff))]).toEqual([0]);
  });
});

describe("inflatedMessage", () => {
  const asError = (v: unknown) => (v instanceof WebSocketError ? `${v.code} ${v.message}` : v);

  it("text is decoded, binary passed through", () => {
    expect(inflatedMessage(new TextEncoder().encode("héllo"), false, 100)).toBe("héllo");
    const bytes = Uint8Array.of(0xff, 0);
    expect(inflatedMessage(bytes, true, 100)).toBe(bytes);
  });

  it("a bomb is 1009 naming the limit; data that does not inflate and bad UTF-8 are 1007", () => {
    expect(asError(inflatedMessage("tooBig", true, 64))).toBe("1009 Message over the limit of 64 bytes");
    expect(asError(inflatedMessage(new Error("invalid stored block lengths"), false, 64))).toBe(
      "1007 Compressed message does not inflate: invalid stored block lengths",
    );
    expect(asError(inflatedMessage(Uint8Array.of(0xc3, 0x28), false, 64))).toBe("1007 Text message is not valid UTF-8");
  });
});
