/**
 * Server frame headers (RFC 6455 §5.2): byte vectors for the three length encodings at their
 * boundaries, the first byte of every opcode, and frames read back by the parser.
 */
import { describe, expect, it } from "vitest";
import { encodeClosePayload } from "../../src/protocol/close_payload.ts";
import { FrameParser } from "../../src/protocol/frame_parser.ts";
import { firstByte, headerSize, writeHeader } from "../../src/protocol/frame_writer.ts";
import { Opcode } from "../../src/protocol/opcodes.ts";

const bytes = (...b: number[]) => Uint8Array.from(b);
const text = (s: string) => new TextEncoder().encode(s);

/** A whole frame as the writer lays it out: the header, then the payload. */
function frameOf(first: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(headerSize(payload.byteLength) + payload.byteLength);
  const n = writeHeader(out, 0, first, payload.byteLength);
  out.set(payload, n);
  return out;
}

function header(first: number, length: number): Uint8Array {
  const out = new Uint8Array(10).fill(0xee);
  return out.subarray(0, writeHeader(out, 0, first, length));
}

/** Reads server frames back with the parser in lax mode (server frames are unmasked). */
function readBack(...frames: Uint8Array[]): string[] {
  const out: string[] = [];
  const parser = new FrameParser(
    {
      message: (m, bin) => out.push(bin ? `binary:${(m as Uint8Array).join(",")}` : `text:${m as string}`),
      ping: (p) => out.push(`ping:${p.join(",")}`),
      pong: (p) => out.push(`pong:${p.join(",")}`),
      closeReceived: (code, reason) => out.push(`close:${code}:${reason}`),
      error: (e) => out.push(`error:${e.code}`),
    },
    { maxPayload: Infinity, allowUnmasked: true, maxFragments: Infinity },
  );
  for (const f of frames) parser.push(f.slice());
  return out;
}

describe("RFC 6455 §5.7 examples, as the server writes them", () => {
  it("a single-frame unmasked text message", () => {
    expect(frameOf(firstByte(Opcode.TEXT), text("Hello"))).toEqual(bytes(0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f));
  });

  it("an unmasked ping and pong", () => {
    expect(frameOf(firstByte(Opcode.PING), text("Hello"))).toEqual(bytes(0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f));
    expect(frameOf(firstByte(Opcode.PONG), text("Hello"))).toEqual(bytes(0x8a, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f));
  });

  it("256 bytes of binary take a 16-bit length, 65536 bytes a 64-bit one", () => {
    expect(header(0x82, 256)).toEqual(bytes(0x82, 0x7e, 0x01, 0x00));
    expect(header(0x82, 65536)).toEqual(bytes(0x82, 0x7f, 0, 0, 0, 0, 0, 0x01, 0, 0));
  });
});

describe("payload length encodings at their boundaries (§5.2)", () => {
  it.each<[number, number[]]>([
    [0, [0x82, 0]],
    [1, [0x82, 1]],
    [125, [0x82, 125]],
    [126, [0x82, 126, 0x00, 0x7e]],
    [127, [0x82, 126, 0x00, 0x7f]],
    [65535, [0x82, 126, 0xff, 0xff]],
    [65536, [0x82, 127, 0, 0, 0, 0, 0x00, 0x01, 0x00, 0x00]],
    [0xffffffff, [0x82, 127, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]],
    [2 ** 32, [0x82, 127, 0, 0, 0, 0x01, 0, 0, 0, 0]],
    [2 ** 32 + 0x01020304, [0x82, 127, 0, 0, 0, 0x01, 0x01, 0x02, 0x03, 0x04]],
    [Number.MAX_SAFE_INTEGER, [0x82, 127, 0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]],
  ])("%i bytes", (length, expected) => {
    expect(header(0x82, length)).toEqual(Uint8Array.from(expected));
    expect(headerSize(length)).toBe(expected.length);
  });

  it("a header is written at the offset given, touching nothing around it", () => {
    const out = new Uint8Array(16).fill(0xee);
    expect(writeHeader(out, 3, 0x81, 300)).toBe(4);
    expect([...out]).toEqual([0xee, 0xee, 0xee, 0x81, 126, 0x01, 0x2c, ...Array<number>(9).fill(0xee)]);
  });

  it.each([0, 125, 126, 65535, 65536])("a %i-byte frame reads back whole", (n) => {
    const payload = Uint8Array.from({ length: n }, (_, i) => i % 251);
    expect(readBack(frameOf(0x82, payload))).toEqual([`binary:${payload.join(",")}`]);
  });
});

describe("first bytes", () => {
  it.each<[string, number, number]>([
    ["continuation", Opcode.CONTINUATION, 0x80],
    ["text", Opcode.TEXT, 0x81],
    ["binary", Opcode.BINARY, 0x82],
    ["close", Opcode.CLOSE, 0x88],
    ["ping", Opcode.PING, 0x89],
    ["pong", Opcode.PONG, 0x8a],
  ])("%s: FIN set (the server never fragments), the opcode in the low nibble, RSV bits clear", (_name, opcode, first) => {
    expect(firstByte(opcode)).toBe(first);
  });

  it("a compressed message sets RSV1 and nothing else (RFC 7692 §6)", () => {
    expect(firstByte(Opcode.TEXT, true)).toBe(0xc1);
    expect(firstByte(Opcode.BINARY, true)).toBe(0xc2);
  });

  it("a server frame is never masked, whatever its length (§5.1)", () => {
    for (const n of [0, 125, 126, 65536]) expect(header(0x82, n)[1]! & 0x80).toBe(0);
  });
});

describe("frames read back", () => {
  it("text of any script, and an empty text", () => {
    const s = "héllo 😀";
    expect(readBack(frameOf(0x81, text(s)), frameOf(0x81, new Uint8Array(0)))).toEqual([`text:${s}`, "text:"]);
  });

  it("close frames with a code, a code and reason, and none (1005)", () => {
    expect(frameOf(0x88, encodeClosePayload(1001, "bye"))).toEqual(bytes(0x88, 0x05, 0x03, 0xe9, 0x62, 0x79, 0x65));
    expect(frameOf(0x88, encodeClosePayload(1005, ""))).toEqual(bytes(0x88, 0x00));
    expect(readBack(frameOf(0x88, encodeClosePayload(1011, "internal error")))).toEqual(["close:1011:internal error"]);
  });

  it("the longest close reason that fits (123 bytes) keeps the frame a control frame of 125 bytes", () => {
    expect(header(0x88, encodeClosePayload(1000, "r".repeat(123)).byteLength)).toEqual(bytes(0x88, 125));
  });
});
