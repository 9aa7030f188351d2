/** Close codes a server may send, and close reasons cut to fit a close frame. */
import { describe, expect, it } from "vitest";
import { fitReason, isWireCloseCode } from "../../src/close_codes.ts";
import { utf8Length } from "../../src/limits.ts";

describe("fitReason", () => {
  // A cut reason is as many whole characters as fit in 120 bytes, then "...": 123 bytes at most.
  it.each([
    ["x", 1, 120],
    ["é", 2, 60],
    ["€", 3, 40],
    ["🐦", 4, 30],
  ])("a long reason of %s (%i bytes each) keeps %i of them and ends with ...", (ch, _bytes, kept) => {
    const cut = fitReason(ch.repeat(200));
    expect(cut).toBe(`${ch.repeat(kept)}...`);
    expect(utf8Length(cut)).toBe(123);
  });

  it("keeps the longest whole prefix when a character would cross 120 bytes", () => {
    // 119 bytes of ASCII, then a 2-byte character that would end at byte 121.
    expect(fitReason(`${"a".repeat(119)}é${"b".repeat(10)}`)).toBe(`${"a".repeat(119)}...`);
    // 118 bytes, then one that ends exactly at byte 120: kept.
    expect(fitReason(`${"a".repeat(118)}é${"b".repeat(10)}`)).toBe(`${"a".repeat(118)}é...`);
  });

  it("leaves a reason of at most 123 bytes as it is", () => {
    expect(fitReason("")).toBe("");
    expect(fitReason("€".repeat(41))).toBe("€".repeat(41));
  });
});

describe("isWireCloseCode", () => {
  it("takes 1000-1003, 1007-1014 and 3000-4999, and nothing else", () => {
    const wire = [1000, 1003, 1007, 1014, 3000, 4999];
    const reported = [999, 1004, 1005, 1006, 1015, 2999, 5000, 1000.5, Number.NaN];
    expect(wire.filter(isWireCloseCode)).toEqual(wire);
    expect(reported.filter(isWireCloseCode)).toEqual([]);
  });
});
