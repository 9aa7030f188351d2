/** The pending handshakes a shutdown meets: each dropped once, and the count of shutdowns that tells a decision straddled one. */
import { describe, expect, it } from "vitest";
import { PendingHandshakes } from "../../src/pending_handshakes.ts";

describe("PendingHandshakes", () => {
  it("a shutdown drops each pending handshake once, and none that was decided; a later shutdown drops nothing again", () => {
    const pending = new PendingHandshakes();
    const dropped: string[] = [];
    pending.add(() => dropped.push("a"));
    const decided = pending.add(() => dropped.push("b"));
    decided();
    expect(pending.shutdowns).toBe(0);
    pending.shutDown();
    expect(dropped).toEqual(["a"]);
    pending.shutDown();
    expect(dropped).toEqual(["a"]);
    expect(pending.shutdowns).toBe(2);
  });

  it("a drop that registers another handshake (an adapter reacting to the drop) is not run in the same shutdown", () => {
    const pending = new PendingHandshakes();
    const dropped: string[] = [];
    pending.add(() => {
      dropped.push("first");
      pending.add(() => dropped.push("late"));
    });
    pending.shutDown();
    expect(dropped).toEqual(["first"]);
    pending.shutDown();
    expect(dropped).toEqual(["first", "late"]);
  });
});
