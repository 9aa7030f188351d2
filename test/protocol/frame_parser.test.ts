import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FrameParser } from "../../src/protocol/frame_parser.ts";
import { clientFrame, closeBody } from "../support/raw_client.ts";

type Opts = { maxPayload?: number; allowUnmasked?: boolean; maxFragments?: number };

/** Feeds `chunks` to a fresh parser (copies, since it unmasks in place); returns its events. */
function parse(chunks: Uint8Array[], o: Opts = {}): string[] {
  const out: string[] = [];
  const parser = new FrameParser(
    {
      message: (m, bin) => out.push(bin ? `binary:${Buffer.from(m as Uint8Array).toString("hex")}` : `text:${m as string}`),
      ping: (p) => out.push(`ping:${Buffer.from(p).toString()}`),
      pong: (p) => out.push(`pong:${Buffer.from(p).toString()}`),
      closeReceived: (code, reason) => out.push(`close:${code}:${reason}`),
      error: (e) => out.push(`error:${e.code}`),
    },
    { maxPayload: o.maxPayload ?? Infinity, allowUnmasked: o.allowUnmasked ?? false, maxFragments: o.maxFragments ?? Infinity },
  );
  for (const c of chunks) parser.push(Uint8Array.from(c));
  return out;
}

const bytes = (...b: number[]) => Uint8Array.from(b);
const cat = (...parts: Uint8Array[]) => Uint8Array.from(Buffer.concat(parts));

describe("RFC 6455 §5.7 examples", () => {
  it("a single-frame masked text message", () => {
    expect(parse([bytes(0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58)])).toEqual(["text:Hello"]);
  });
  it("a fragmented unmasked text message (lax mode)", () => {
    const stream = [bytes(0x01, 0x03, 0x48, 0x65, 0x6c), bytes(0x80, 0x02, 0x6c, 0x6f)];
    expect(parse(stream, { allowUnmasked: true })).toEqual(["text:Hello"]);
    expect(parse(stream)).toEqual(["error:1002"]);
  });
  it("unmasked ping and masked pong", () => {
    expect(parse([bytes(0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f)], { allowUnmasked: true })).toEqual(["ping:Hello"]);
    expect(parse([bytes(0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58)])).toEqual(["pong:Hello"]);
  });
  it("256 bytes (16-bit length) and 65536 bytes (64-bit length) of binary", () => {
    const a = new Uint8Array(256).fill(7);
    const b = new Uint8Array(65536).fill(9);
    expect(parse([clientFrame(2, a), clientFrame(2, b)])).toEqual([
      `binary:${Buffer.from(a).toString("hex")}`,
      `binary:${Buffer.from(b).toString("hex")}`,
    ]);
  });
});

describe("payload lengths", () => {
  it.each([0, 1, 125, 126, 127, 65535, 65536, 1 << 20])("%i bytes, whole and byte by byte for small ones", (n) => {
    const payload = new Uint8Array(n).map((_, i) => i & 0xff);
    const frame = clientFrame(2, payload);
    const expected = [`binary:${Buffer.from(payload).toString("hex")}`];
    expect(parse([frame])).toEqual(expected);
    if (n <= 65536) expect(parse(split(frame, 4093))).toEqual(expected);
  });
});

function split(b: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < b.length; i += size) out.push(b.subarray(i, i + size));
  return out;
}

describe("chunking", () => {
  const stream = cat(
    clientFrame(1, "héllo 😀"),
    clientFrame(9, "p"),
    clientFrame(2, bytes(1, 2, 3), { fin: false }),
    clientFrame(10, "q"),
    clientFrame(0, bytes(4), { fin: false }),
    clientFrame(0, bytes(5)),
    clientFrame(1, bytes(0xf0, 0x9f), { fin: false }),
    clientFrame(0, bytes(0x98, 0x80)),
    clientFrame(8, closeBody(1000, "bye")),
  );
  const expected = ["text:héllo 😀", "ping:p", "pong:q", "binary:0102030405", "text:😀", "close:1000:bye"];

  it("a whole stream in one chunk", () => expect(parse([stream])).toEqual(expected));
  it("one byte at a time", () => expect(parse(split(stream, 1))).toEqual(expected));
  it("split in two at every boundary", () => {
    for (let i = 1; i < stream.length; i++) {
      expect(parse([stream.subarray(0, i), stream.subarray(i)])).toEqual(expected);
    }
  });
  it("nothing is read after the close frame", () => {
    expect(parse([cat(stream, clientFrame(1, "late"))])).toEqual(expected);
  });
});

describe("strictness (§5.2, §5.4, §5.5): each violation is a 1002", () => {
  it.each<[string, Uint8Array]>([
    ["RSV1", clientFrame(1, "x", { rsv: 4 })],
    ["RSV2", clientFrame(1, "x", { rsv: 2 })],
    ["RSV3", clientFrame(1, "x", { rsv: 1 })],
    ...[3, 4, 5, 6, 7, 11, 12, 13, 14, 15].map((op): [string, Uint8Array] => [`reserved opcode ${op}`, clientFrame(op, "x")]),
    ["fragmented ping", clientFrame(9, "x", { fin: false })],
    ["ping of 126 bytes", clientFrame(9, new Uint8Array(126))],
    ["close of 126 bytes", clientFrame(8, cat(closeBody(1000), new Uint8Array(124)))],
    ["continuation without a start", clientFrame(0, "x")],
    ["text inside a fragmented message", cat(clientFrame(1, "a", { fin: false }), clientFrame(1, "b"))],
    ["binary inside a fragmented message", cat(clientFrame(2, "a", { fin: false }), clientFrame(2, "b"))],
    ["unmasked frame", clientFrame(1, "x", { mask: false })],
    ["64-bit length with the high bit set", bytes(0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1)],
    ["close with a 1-byte body", clientFrame(8, bytes(3))],
    ...[0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535].map(
      (code): [string, Uint8Array] => [`close code ${code}`, clientFrame(8, closeBody(code))],
    ),
  ])("%s", (_name, frame) => {
    expect(parse([frame])).toEqual(["error:1002"]);
  });

  it.each([1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999])(
    "close code %i is accepted",
    (code) => expect(parse([clientFrame(8, closeBody(code, "r"))])).toEqual([`close:${code}:r`]),
  );

  it("an empty close body reports 1005", () => expect(parse([clientFrame(8)])).toEqual(["close:1005:"]));

  it("a ping inside a fragmented message is fine", () => {
    expect(parse([cat(clientFrame(1, "a", { fin: false }), clientFrame(9, "p"), clientFrame(0, "b"))])).toEqual([
      "ping:p",
      "text:ab",
    ]);
  });

  it("lax mode accepts unmasked frames but nothing else", () => {
    expect(parse([clientFrame(1, "x", { mask: false })], { allowUnmasked: true })).toEqual(["text:x"]);
    expect(parse([clientFrame(1, "x", { mask: false, rsv: 4 })], { allowUnmasked: true })).toEqual(["error:1002"]);
  });
});

describe("UTF-8 (§8.1): invalid text is a 1007", () => {
  const valid: [string, Uint8Array][] = [
    ["4-byte code point", bytes(0xf0, 0x9f, 0x98, 0x80)],
    ["U+FFFF", bytes(0xef, 0xbf, 0xbf)],
    ["U+10FFFF", bytes(0xf4, 0x8f, 0xbf, 0xbf)],
  ];
  it.each(valid)("%s is valid, whole and split across fragments at every byte", (_n, b) => {
    const text = Buffer.from(b).toString();
    expect(parse([clientFrame(1, b)])).toEqual([`text:${text}`]);
    for (let i = 1; i < b.length; i++) {
      expect(parse([cat(clientFrame(1, b.subarray(0, i), { fin: false }), clientFrame(0, b.subarray(i)))])).toEqual([
        `text:${text}`,
      ]);
    }
  });

  it.each([
    ["a lone continuation byte", bytes(0x80)],
    ["overlong '/'", bytes(0xc0, 0xaf)],
    ["overlong 3-byte", bytes(0xe0, 0x80, 0xaf)],
    ["a UTF-16 surrogate", bytes(0xed, 0xa0, 0x80)],
    ["past U+10FFFF", bytes(0xf4, 0x90, 0x80, 0x80)],
    ["0xFF", bytes(0xff)],
    ["truncated at the end", bytes(0x61, 0xf0, 0x9f, 0x98)],
  ])("%s", (_name, b) => {
    expect(parse([clientFrame(1, b)])).toEqual(["error:1007"]);
  });

  it("fails at the first bad fragment, before the message ends", () => {
    expect(parse([cat(clientFrame(1, "ok", { fin: false }), clientFrame(0, bytes(0xff), { fin: false }))])).toEqual([
      "error:1007",
    ]);
  });

  it("a fragmented message ending inside a code point is a 1007", () => {
    expect(parse([cat(clientFrame(1, bytes(0xf0, 0x9f), { fin: false }), clientFrame(0, bytes(0x98)))])).toEqual([
      "error:1007",
    ]);
  });

  it("a close reason that is not UTF-8 is a 1007", () => {
    expect(parse([clientFrame(8, cat(closeBody(1000), bytes(0xff)))])).toEqual(["error:1007"]);
  });

  it("a leading U+FEFF is part of the text, whole, fragmented or in a close reason (no BOM stripping)", () => {
    const bom = "\uFEFFhi";
    expect(parse([clientFrame(1, bom)])).toEqual([`text:${bom}`]);
    const encoded = new TextEncoder().encode(bom);
    expect(parse([cat(clientFrame(1, encoded.subarray(0, 2), { fin: false }), clientFrame(0, encoded.subarray(2)))])).toEqual([`text:${bom}`]);
    expect(parse([clientFrame(8, cat(closeBody(1000), encoded))])).toEqual([`close:1000:${bom}`]);
  });
});

describe("maxPayload at the frame header", () => {
  it("a header announcing 2^62 bytes fails with 1009 before any payload", () => {
    const header = bytes(0x82, 0xff, 0x40, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4);
    expect(parse([header], { maxPayload: 1 << 20 })).toEqual(["error:1009"]);
    expect(parse([header])).toEqual(["error:1009"]);
  });

  it("a header announcing 4 GiB fails with 1009 when over the limit", () => {
    expect(parse([clientFrame(2, new Uint8Array(0), { length: 2 ** 32 })], { maxPayload: 1000 })).toEqual(["error:1009"]);
  });

  it("a fragmented message fails at the fragment whose header passes the limit", () => {
    const frames = [
      clientFrame(2, new Uint8Array(40), { fin: false }),
      clientFrame(0, new Uint8Array(40), { fin: false }),
      clientFrame(0, new Uint8Array(0), { length: 21 }).subarray(0, 6),
    ];
    expect(parse(frames, { maxPayload: 100 })).toEqual(["error:1009"]);
    expect(parse([...frames.slice(0, 2), clientFrame(0, new Uint8Array(20))], { maxPayload: 100 })).toEqual([`binary:${"00".repeat(100)}`]);
  });

  it("exactly the limit passes", () => {
    expect(parse([clientFrame(2, new Uint8Array(100))], { maxPayload: 100 })).toEqual([`binary:${"00".repeat(100)}`]);
    expect(parse([clientFrame(1, "x".repeat(101))], { maxPayload: 100 })).toEqual(["error:1009"]);
  });

  it("control frames do not count towards the limit", () => {
    expect(parse([clientFrame(9, "12345")], { maxPayload: 0 })).toEqual(["ping:12345"]);
  });
});

describe("properties (fast-check)", () => {
  const message = fc.oneof(
    fc.record({ kind: fc.constant("text" as const), text: fc.string({ unit: "grapheme", maxLength: 300 }) }),
    fc.record({ kind: fc.constant("binary" as const), data: fc.uint8Array({ maxLength: 70_000 }) }),
  );
  const item = fc.record({ message, fragments: fc.integer({ min: 1, max: 4 }), ping: fc.boolean() });

  function encode(items: { message: { kind: "text"; text: string } | { kind: "binary"; data: Uint8Array }; fragments: number; ping: boolean }[]) {
    const frames: Uint8Array[] = [];
    const expected: string[] = [];
    for (const { message: m, fragments, ping } of items) {
      const body = m.kind === "text" ? Buffer.from(m.text) : Buffer.from(m.data);
      const size = Math.ceil(body.length / fragments) || 1;
      const parts = fragments === 1 || body.length === 0 ? [body] : split(body, size);
      parts.forEach((p, i) => {
        frames.push(clientFrame(i === 0 ? (m.kind === "text" ? 1 : 2) : 0, p, { fin: i === parts.length - 1 }));
        if (ping && i === 0) frames.push(clientFrame(9, "p"));
      });
      const delivered = m.kind === "text" ? `text:${m.text}` : `binary:${body.toString("hex")}`;
      // The ping follows the first frame: after a one-frame message, inside a fragmented one.
      if (ping && parts.length === 1) expected.push(delivered, "ping:p");
      else expected.push(...(ping ? ["ping:p"] : []), delivered);
    }
    return { stream: cat(...frames), expected };
  }

  it("any split of a valid stream yields the same messages", () => {
    fc.assert(
      fc.property(fc.array(item, { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 20 }), (items, cuts) => {
        const { stream, expected } = encode(items);
        const points = [...new Set(cuts.map((c) => (stream.length ? c % stream.length : 0)))].sort((a, b) => a - b);
        const chunks: Uint8Array[] = [];
        let last = 0;
        for (const p of points) {
          chunks.push(stream.subarray(last, p));
          last = p;
        }
        chunks.push(stream.subarray(last));
        expect(parse(chunks)).toEqual(expected);
      }),
      { seed: 6455, numRuns: 200 },
    );
  });

  it("random bytes never throw out of the parser; a failure is always a close code", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), fc.boolean(), (chunks, lax) => {
        const events = parse(chunks, { maxPayload: 1 << 16, allowUnmasked: lax });
        const errors = events.filter((e) => e.startsWith("error:"));
        expect(errors.length).toBeLessThanOrEqual(1);
        for (const e of errors) expect(["error:1002", "error:1007", "error:1009"]).toContain(e);
        if (errors.length) expect(events.at(-1)).toMatch(/^error:/);
      }),
      { seed: 1, numRuns: 2000 },
    );
  });
});

describe("pause and resume (inbound flow control)", () => {
  function pausable() {
    const out: string[] = [];
    const hooks: { onMessage?: (m: string) => void } = {};
    const parser: FrameParser = new FrameParser(
      {
        message: (m) => {
          out.push(m as string);
          hooks.onMessage?.(m as string);
        },
        ping: () => out.push("ping"),
        pong: () => {},
        closeReceived: (code) => out.push(`close:${code}`),
        error: (e) => out.push(`error:${e.code}`),
      },
      { maxPayload: Infinity, allowUnmasked: false, maxFragments: Infinity },
    );
    return { parser, out, hooks };
  }
  const three = () => cat(clientFrame(1, "a"), clientFrame(1, "b"), clientFrame(9, ""), clientFrame(1, "c"));

  it("paused from a message event, it stops after that message and keeps the rest", () => {
    const { parser, out, hooks } = pausable();
    hooks.onMessage = (m) => m === "a" && parser.pause();
    parser.push(three());
    expect(out).toEqual(["a"]);
    parser.push(Uint8Array.from(clientFrame(1, "d")));
    expect(out).toEqual(["a"]);
    hooks.onMessage = undefined;
    parser.resume();
    expect(out).toEqual(["a", "b", "ping", "c", "d"]);
  });

  it("a pause while a frame is half read finishes that frame only", () => {
    const { parser, out } = pausable();
    const bytesOf = three();
    parser.push(bytesOf.subarray(0, 3));
    parser.pause();
    parser.push(bytesOf.subarray(3));
    expect(out).toEqual(["a"]);
    parser.resume();
    expect(out).toEqual(["a", "b", "ping", "c"]);
  });

  it("resume called from inside an event goes on in the same loop, in order", () => {
    const { parser, out, hooks } = pausable();
    hooks.onMessage = (m) => {
      if (m === "a") parser.pause();
      if (m === "a") parser.resume();
    };
    parser.push(three());
    expect(out).toEqual(["a", "b", "ping", "c"]);
  });

  it("resume after stop reads nothing", () => {
    const { parser, out } = pausable();
    parser.pause();
    parser.push(three());
    parser.stop();
    parser.resume();
    expect(out).toEqual([]);
  });

  it("any split of the stream with a pause after every message yields the same messages", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 40 }), { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 30 }), (texts, step) => {
        const { parser, out, hooks } = pausable();
        hooks.onMessage = () => parser.pause();
        const stream = cat(...texts.map((t) => clientFrame(1, t)));
        for (let i = 0; i < stream.byteLength; i += step) parser.push(stream.slice(i, i + step));
        for (let i = 0; i < texts.length && out.length < texts.length; i++) parser.resume();
        expect(out).toEqual(texts);
      }),
    );
  });
});
