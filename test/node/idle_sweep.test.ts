/**
 * The Node adapter's idle decision (adapters/node/idle_sweep.ts): one ping on the first second of
 * silence at or past the timeout, whole or not, and the drop once twice the timeout has passed.
 * The sweep itself runs under the heartbeat and idle tests on real sockets.
 */
import { describe, expect, it } from "vitest";
import { idleVerdict } from "../../adapters/node/idle_sweep.ts";

/** The verdicts of seconds 0 to `last` of uninterrupted silence. */
const silence = (idleTimeout: number, last: number) => Array.from({ length: last + 1 }, (_, s) => idleVerdict(s, idleTimeout));

describe("idleVerdict", () => {
  it("pings once when the timeout is reached and drops at twice it", () => {
    expect(silence(3, 6)).toEqual([undefined, undefined, undefined, "ping", undefined, undefined, "drop"]);
    expect(silence(1, 2)).toEqual([undefined, "ping", "drop"]);
  });

  it("a timeout in fractions of a second pings on the first whole second past it", () => {
    expect(silence(1.5, 3)).toEqual([undefined, undefined, "ping", "drop"]);
    expect(silence(2.2, 5)).toEqual([undefined, undefined, undefined, "ping", undefined, "drop"]);
  });

  it("a timeout under a second drops without a ping: twice it has passed at the first sweep", () => {
    expect(silence(0.5, 1)).toEqual([undefined, "drop"]);
  });
});
