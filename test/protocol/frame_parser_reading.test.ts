/**
 * How the parser reads a frame's parts: at the exact byte each part is complete, the limit as
 * soon as the length is known, masks only where the client masked, payloads handed out without
 * a copy, and a frame the engine cannot hold as one buffer.
 */
import { describe, expect, it } from "vitest";
import { FrameParser } from "../../src/protocol/frame_parser.ts";
import { clientFrame } from "../support/raw_client.ts";

type Opts = { maxPayload?: number; allowUnmasked?: boolean };

function parser(o: Opts = {}) {
  const out: string[] = [];
  const messages: Uint8Array[] = [];
  const p = new FrameParser(
    {
      message: (m, bin) => {
        if (bin) messages.push(m as Uint8Array);
        out.push(bin ? `binary:${(m as Uint8Array).byteLength}` : `text:${m as string}`);
      },
      ping: (b) => out.push(`ping:${Buffer.from(b).toString()}`),
      pong: (b) => out.push(`pong:${Buffer.from(b).toString()}`),
      closeReceived: (code) => out.push(`close:${code}`),
      error: (e) => out.push(`error:${e.code}:${e.message}`),
    },
    { maxPayload: o.maxPayload ?? Infinity, allowUnmasked: o.allowUnmasked ?? false, maxFragments: Infinity },
  );
  return { push: (c: Uint8Array) => p.push(c), out, messages };
}

const bytes = (...b: number[]) => Uint8Array.from(b);

describe("each part is read the moment its last byte arrives", () => {
  it("an unmasked empty frame (lax mode) is two bytes, and is delivered on them", () => {
    const p = parser({ allowUnmasked: true });
    p.push(bytes(0x81, 0x00));
    expect(p.out).toEqual(["text:"]);
    p.push(bytes(0x89));
    p.push(bytes(0x00));
    expect(p.out).toEqual(["text:", "ping:"]);
  });

  it.each([126, 65535, 65536, 70000])("a %i-byte frame whose header arrives one byte at a time", (n) => {
    const frame = clientFrame(2, new Uint8Array(n).fill(1));
    const headerLength = n < 65536 ? 8 : 14;
    const p = parser();
    for (let i = 0; i < headerLength; i++) {
      p.push(frame.slice(i, i + 1));
      expect(p.out).toEqual([]);
    }
    p.push(frame.slice(headerLength));
    expect(p.out).toEqual([`binary:${n}`]);
    expect(p.messages[0]!.every((b) => b === 1)).toBe(true);
  });
});

describe("the limit is applied as soon as the length is known", () => {
  it("a 16-bit length over the limit fails on its second byte, before mask or payload", () => {
    const p = parser({ maxPayload: 100 });
    p.push(bytes(0x82, 0x80 | 126, 0x00));
    expect(p.out).toEqual([]);
    p.push(bytes(200));
    expect(p.out).toEqual(["error:1009:Message over the limit of 100 bytes"]);
  });

  it("a 64-bit length over the limit fails on its eighth byte", () => {
    const p = parser({ maxPayload: 1000 });
    p.push(bytes(0x82, 0x80 | 127, 0, 0, 0, 0, 0, 1, 0));
    expect(p.out).toEqual([]);
    p.push(bytes(0));
    expect(p.out).toHaveLength(1);
    expect(p.out[0]).toMatch(/^error:1009:/);
  });

  it("exactly the limit passes, in one frame or across fragments; one byte more fails", () => {
    const one = parser({ maxPayload: 100 });
    one.push(clientFrame(2, new Uint8Array(100)));
    expect(one.out).toEqual(["binary:100"]);
    const fragments = parser({ maxPayload: 100 });
    fragments.push(Buffer.concat([clientFrame(2, new Uint8Array(60), { fin: false }), clientFrame(0, new Uint8Array(40))]));
    expect(fragments.out).toEqual(["binary:100"]);
    const over = parser({ maxPayload: 100 });
    over.push(Buffer.concat([clientFrame(2, new Uint8Array(60), { fin: false }), clientFrame(0, new Uint8Array(41))]));
    expect(over.out).toEqual(["error:1009:Message over the limit of 100 bytes"]);
  });

  it("with no limit, a length of 2^53 (past what a number holds exactly) fails with 1009 at once", () => {
    const p = parser();
    p.push(bytes(0x82, 0x80 | 127, 0x00, 0x20, 0, 0, 0, 0, 0, 0));
    expect(p.out).toHaveLength(1);
    expect(p.out[0]).toMatch(/^error:1009:/);
  });

  it("with no limit, a length of 2^53 - 1 is waited for like any other", () => {
    const p = parser();
    p.push(bytes(0x82, 0x80 | 127, 0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5));
    expect(p.out).toEqual([]);
  });

  it("a 64-bit length with the high bit set is a 1002 that says so (§5.2)", () => {
    const p = parser();
    p.push(bytes(0x82, 0x80 | 127, 0x80, 0, 0, 0, 0, 0, 0, 1));
    expect(p.out).toHaveLength(1);
    expect(p.out[0]).toMatch(/^error:1002:.*high bit/);
  });
});

describe("masking (§5.3)", () => {
  it("in lax mode an unmasked frame after a masked one is read as sent, not unmasked with the old key", () => {
    const p = parser({ allowUnmasked: true });
    p.push(Buffer.concat([clientFrame(1, "masked"), clientFrame(1, "plain", { mask: false }), clientFrame(9, "ping", { mask: false })]));
    expect(p.out).toEqual(["text:masked", "text:plain", "ping:ping"]);
  });
});

describe("payloads are handed out without a copy", () => {
  it("a binary message read from one chunk is a view of that chunk, as a plain Uint8Array", () => {
    for (const n of [3, 1000, 70000]) {
      const p = parser();
      const chunk = Uint8Array.from(clientFrame(2, new Uint8Array(n).fill(7)));
      p.push(chunk);
      const message = p.messages[0]!;
      expect(message.buffer).toBe(chunk.buffer);
      expect(message.byteLength).toBe(n);
      expect(message.every((b) => b === 7)).toBe(true);
    }
    const fromBuffer = parser();
    fromBuffer.push(clientFrame(2, bytes(1, 2)));
    expect(Object.getPrototypeOf(fromBuffer.messages[0])).toBe(Uint8Array.prototype);
  });

  it("a payload arriving in its own chunk is a view of it, even after an empty read", () => {
    const frame = Uint8Array.from(clientFrame(2, new Uint8Array(10).fill(5)));
    const p = parser();
    p.push(frame.slice(0, 6));
    p.push(new Uint8Array(0));
    const payload = frame.slice(6);
    p.push(payload);
    expect(p.messages[0]!.buffer).toBe(payload.buffer);
    expect(p.messages[0]!.every((b) => b === 5)).toBe(true);
  });

  it("a payload split over chunks is copied together in order", () => {
    const frame = clientFrame(2, Uint8Array.from({ length: 300 }, (_, i) => i & 0xff));
    const p = parser();
    for (let i = 0; i < frame.length; i += 7) p.push(frame.slice(i, i + 7));
    expect([...p.messages[0]!]).toEqual(Array.from({ length: 300 }, (_, i) => i & 0xff));
  });
});

describe("a frame too large for one buffer", () => {
  it("fails with 1009, and nothing is delivered (only with no limit)", () => {
    // Stand-ins for 2^53 received bytes: the parser only reaches its copy when the bytes are there.
    const huge = { byteLength: 2 ** 52 } as Uint8Array;
    const p = parser({ allowUnmasked: true });
    p.push(bytes(0x82, 127, 0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff));
    p.push(huge);
    expect(p.out).toEqual([]);
    p.push(huge);
    expect(p.out).toHaveLength(1);
    expect(p.out[0]).toMatch(/^error:1009:.*too large/);
  });
});
