/**
 * `headerProblem`, the checks on a frame's first two bytes (RFC 6455 §5.2, §5.4, §5.5). The
 * error's message becomes the reason of the close frame the server sends, so each one names
 * the rule the client broke.
 */
import { describe, expect, it } from "vitest";
import { type HeaderContext, headerProblem } from "../../src/protocol/frame_header.ts";

const MASKED = 0x80;
const idle: HeaderContext = { fragments: undefined, maxFragments: Infinity, allowUnmasked: false, deflate: false };
const midMessage: HeaderContext = { ...idle, fragments: 1 };

describe("frames that may be read", () => {
  it.each<[string, number, number, HeaderContext]>([
    ["a masked text frame", 0x81, MASKED | 5, idle],
    ["a masked binary frame with a 16-bit length", 0x82, MASKED | 126, idle],
    ["a masked binary frame with a 64-bit length", 0x82, MASKED | 127, idle],
    ["the first fragment of a message", 0x01, MASKED | 3, idle],
    ["a continuation inside a message", 0x00, MASKED | 3, midMessage],
    ["a ping inside a message", 0x89, MASKED, midMessage],
    ["an unmasked frame in lax mode", 0x81, 5, { ...idle, allowUnmasked: true }],
  ])("%s", (_name, b0, b1, context) => {
    expect(headerProblem(b0, b1, context)).toBeUndefined();
  });

  it.each([0x88, 0x89, 0x8a])("a control frame (first byte %i) of exactly 125 bytes", (b0) => {
    expect(headerProblem(b0, MASKED | 125, idle)).toBeUndefined();
  });
});

describe("violations: a 1002 whose reason names the rule", () => {
  it.each<[string, number, number, HeaderContext, RegExp]>([
    ["RSV1", 0xc1, MASKED | 1, idle, /reserved bits/i],
    ["RSV3", 0x91, MASKED | 1, idle, /reserved bits/i],
    ["reserved control opcode 11", 0x8b, MASKED, idle, /reserved opcode 11\b/i],
    ["reserved control opcode 15", 0x8f, MASKED, idle, /reserved opcode 15\b/i],
    ["reserved data opcode 3", 0x83, MASKED, idle, /reserved opcode 3\b/i],
    ["reserved data opcode 7", 0x87, MASKED, idle, /reserved opcode 7\b/i],
    ["a fragmented ping", 0x09, MASKED, idle, /fragmented control/i],
    ["a close of 126 bytes", 0x88, MASKED | 126, idle, /control frame.*125/i],
    ["a pong announcing a 64-bit length", 0x8a, MASKED | 127, idle, /control frame.*125/i],
    ["a continuation with no message", 0x80, MASKED | 1, idle, /continuation/i],
    ["a text frame inside a message", 0x81, MASKED | 1, midMessage, /inside a fragmented message/i],
    ["a binary frame inside a message", 0x02, MASKED | 1, midMessage, /inside a fragmented message/i],
    ["an unmasked client frame", 0x81, 1, idle, /unmasked/i],
  ])("%s", (_name, b0, b1, context, reason) => {
    const problem = headerProblem(b0, b1, context);
    expect(problem?.code).toBe(1002);
    expect(problem?.message).toMatch(reason);
  });

  it("lax mode forgives the mask only", () => {
    const lax = { ...idle, allowUnmasked: true };
    expect(headerProblem(0xc1, 1, lax)?.code).toBe(1002);
    expect(headerProblem(0x83, 1, lax)?.code).toBe(1002);
  });
});

describe("the fragment bound", () => {
  const bounded = (fragments: number): HeaderContext => ({ fragments, maxFragments: 3, allowUnmasked: false, deflate: false });

  it("a continuation up to the bound is read; the one past it is a 1008 naming the bound", () => {
    expect(headerProblem(0x00, MASKED, bounded(2))).toBeUndefined();
    const problem = headerProblem(0x80, MASKED, bounded(3));
    expect(problem?.code).toBe(1008);
    expect(problem?.message).toMatch(/more than 3 fragments/);
  });

  it("control frames between fragments are not counted", () => {
    expect(headerProblem(0x89, MASKED, bounded(3))).toBeUndefined();
  });
});

describe("RSV1 with permessage-deflate (RFC 7692 §6.1)", () => {
  const deflate: HeaderContext = { ...idle, deflate: true };
  const deflateMid: HeaderContext = { ...deflate, fragments: 1 };

  it.each<[string, number, HeaderContext]>([
    ["a compressed text frame", 0xc1, deflate],
    ["a compressed binary frame", 0xc2, deflate],
    ["the first fragment of a compressed message", 0x41, deflate],
    ["an uncompressed message beside compressed ones", 0x81, deflate],
  ])("%s is read", (_name, b0, context) => {
    expect(headerProblem(b0, MASKED | 5, context)).toBeUndefined();
  });

  it.each<[string, number, HeaderContext, RegExp]>([
    ["RSV1 without the extension", 0xc1, idle, /Reserved bits/],
    ["RSV1 on a continuation", 0xc0, deflateMid, /RSV1 set on a control or continuation/],
    ["RSV1 on a ping", 0xc9, deflate, /RSV1 set on a control or continuation/],
    ["RSV1 on a close", 0xc8, deflate, /RSV1 set on a control or continuation/],
    ["RSV2 with the extension", 0xa1, deflate, /Reserved bits/],
    ["RSV3 with the extension", 0x91, deflate, /Reserved bits/],
  ])("%s fails with 1002", (_name, b0, context, message) => {
    const problem = headerProblem(b0, MASKED | 5, context);
    expect(problem?.code).toBe(1002);
    expect(problem?.message).toMatch(message);
  });
});
