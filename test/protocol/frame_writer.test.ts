/**
 * Server frames (RFC 6455 §5.2): byte vectors for the three length encodings at their
 * boundaries, the opcodes, close frames, and what the server never does (mask, copy a payload).
 */
import { describe, expect, it } from "vitest";
import { FrameParser } from "../../src/protocol/frame_parser.ts";
import { closeFrame, frame, frameHeader, messageFrame } from "../../src/protocol/frame_writer.ts";
import { Opcode } from "../../src/protocol/opcodes.ts";

const bytes = (...b: number[]) => Uint8Array.from(b);
const text = (s: string) => new TextEncoder().encode(s);
const joined = ([header, payload]: [Uint8Array, Uint8Array]) => Uint8Array.from([...header, ...payload]);

/** Reads server frames back with the parser in lax mode (server frames are unmasked). */
function readBack(...frames: [Uint8Array, Uint8Array][]): string[] {
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
  for (const f of frames) parser.push(joined(f));
  return out;
}

describe("RFC 6455 §5.7 examples, as the server writes them", () => {
  it("a single-frame unmasked text message", () => {
    expect(joined(messageFrame("Hello"))).toEqual(bytes(0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f));
  });

  it("every frame the server writes is final (FIN set): it never fragments", () => {
    expect(frameHeader(Opcode.TEXT, 3)).toEqual(bytes(0x81, 0x03));
    expect(frameHeader(Opcode.BINARY, 2)).toEqual(bytes(0x82, 0x02));
  });

  it("an unmasked ping and pong", () => {
    expect(joined(frame(Opcode.PING, text("Hello")))).toEqual(bytes(0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f));
    expect(joined(frame(Opcode.PONG, text("Hello")))).toEqual(bytes(0x8a, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f));
  });

  it("256 bytes of binary take a 16-bit length, 65536 bytes a 64-bit one", () => {
    expect(messageFrame(new Uint8Array(256))[0]).toEqual(bytes(0x82, 0x7e, 0x01, 0x00));
    expect(messageFrame(new Uint8Array(65536))[0]).toEqual(bytes(0x82, 0x7f, 0, 0, 0, 0, 0, 0x01, 0, 0));
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
  ])("%i bytes", (length, header) => {
    expect(frameHeader(Opcode.BINARY, length)).toEqual(Uint8Array.from(header));
  });

  it.each([0, 125, 126, 65535, 65536])("a %i-byte frame reads back whole", (n) => {
    const payload = Uint8Array.from({ length: n }, (_, i) => i % 251);
    expect(readBack(frame(Opcode.BINARY, payload))).toEqual([`binary:${payload.join(",")}`]);
  });
});

describe("opcodes and flags", () => {
  it.each<[string, number, number]>([
    ["continuation", Opcode.CONTINUATION, 0x80],
    ["text", Opcode.TEXT, 0x81],
    ["binary", Opcode.BINARY, 0x82],
    ["close", Opcode.CLOSE, 0x88],
    ["ping", Opcode.PING, 0x89],
    ["pong", Opcode.PONG, 0x8a],
  ])("%s: FIN set by default, the opcode in the low nibble, RSV bits clear", (_name, opcode, first) => {
    expect(frameHeader(opcode, 0)[0]).toBe(first);
    expect(frame(opcode, new Uint8Array(0))[0][0]).toBe(first);
  });

  it("a server frame is never masked, whatever its length (§5.1)", () => {
    for (const n of [0, 125, 126, 65536]) {
      expect(frameHeader(Opcode.BINARY, n)[1]! & 0x80).toBe(0);
      expect(frame(Opcode.BINARY, new Uint8Array(n))[0][1]! & 0x80).toBe(0);
    }
    expect(messageFrame("x")[0][1]! & 0x80).toBe(0);
    expect(closeFrame(1000, "bye")[0][1]! & 0x80).toBe(0);
  });
});

describe("messageFrame", () => {
  it("a string is one text frame of its UTF-8 bytes", () => {
    const s = "héllo 😀";
    const [header, payload] = messageFrame(s);
    expect(payload).toEqual(text(s));
    expect(header).toEqual(bytes(0x81, text(s).byteLength));
    expect(readBack(messageFrame(s))).toEqual([`text:${s}`]);
  });

  it("an empty string is an empty text frame", () => {
    expect(joined(messageFrame(""))).toEqual(bytes(0x81, 0x00));
  });

  it("a binary message is one binary frame carrying the caller's bytes, not a copy", () => {
    const payload = bytes(1, 2, 3);
    const [header, body] = messageFrame(payload);
    expect(header).toEqual(bytes(0x82, 0x03));
    expect(body).toBe(payload);
    expect(frame(Opcode.BINARY, payload)[1]).toBe(payload);
  });

  it("the same text sent again (a publish to many subscribers) is encoded once", () => {
    const first = messageFrame("to every subscriber");
    expect(messageFrame("to every subscriber")).toBe(first);
  });

  it("a different text is encoded afresh, and an earlier one again after it", () => {
    expect(readBack(messageFrame("one"))).toEqual(["text:one"]);
    expect(readBack(messageFrame("two"))).toEqual(["text:two"]);
    expect(readBack(messageFrame("one"))).toEqual(["text:one"]);
    expect(readBack(messageFrame(bytes(7)), messageFrame("one"))).toEqual(["binary:7", "text:one"]);
  });
});

describe("closeFrame (§5.5.1)", () => {
  it("a code alone is a 2-byte body, big-endian", () => {
    const [header, payload] = closeFrame(1000);
    expect(header).toEqual(bytes(0x88, 0x02));
    expect(payload).toEqual(bytes(0x03, 0xe8));
  });

  it("a code and a reason: the code, then the reason's UTF-8 bytes", () => {
    expect(joined(closeFrame(1001, "bye"))).toEqual(bytes(0x88, 0x05, 0x03, 0xe9, 0x62, 0x79, 0x65));
    expect(joined(closeFrame(4000, "é"))).toEqual(bytes(0x88, 0x04, 0x0f, 0xa0, 0xc3, 0xa9));
  });

  it("1005 (no status) is a close frame with no body", () => {
    expect(joined(closeFrame(1005))).toEqual(bytes(0x88, 0x00));
  });

  it("the longest reason that fits (123 bytes) keeps the frame a control frame of 125 bytes", () => {
    const [header, payload] = closeFrame(1000, "r".repeat(123));
    expect(header).toEqual(bytes(0x88, 125));
    expect(payload.byteLength).toBe(125);
  });

  it("reads back as the code and reason sent", () => {
    expect(readBack(closeFrame(1000))).toEqual(["close:1000:"]);
    expect(readBack(closeFrame(1011, "internal error"))).toEqual(["close:1011:internal error"]);
    expect(readBack(closeFrame(1005))).toEqual(["close:1005:"]);
  });
});
