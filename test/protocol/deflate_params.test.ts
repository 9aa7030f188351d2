/**
 * permessage-deflate negotiation (RFC 7692): the options, parsing `Sec-WebSocket-Extensions`
 * (RFC 6455 §9.1), which offer is taken, and what is answered.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  checkDeflateOptions,
  DEFAULT_DEFLATE,
  type ExtensionOffer,
  negotiateDeflate,
  parseExtensions,
  type ResolvedDeflate,
} from "../../src/protocol/deflate_params.ts";

function options(overrides: Partial<ResolvedDeflate> = {}): ResolvedDeflate {
  return { ...DEFAULT_DEFLATE, ...overrides };
}

/** The answer to `header` under `overrides`, or `undefined` when nothing is accepted. */
function answer(header: string | null, overrides: Partial<ResolvedDeflate> = {}): string | undefined {
  return negotiateDeflate(parseExtensions(header), options(overrides))?.response;
}

describe("checkDeflateOptions", () => {
  test("false is off, true is every default", () => {
    expect(checkDeflateOptions(false, "perMessageDeflate")).toBe(false);
    expect(checkDeflateOptions(true, "perMessageDeflate")).toEqual({
      threshold: 1024,
      serverNoContextTakeover: false,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 15,
      clientMaxWindowBits: 15,
      level: 1,
      memLevel: 8,
    });
  });

  test("an object is completed with the defaults, and what it sets wins", () => {
    expect(checkDeflateOptions({}, "x")).toEqual(DEFAULT_DEFLATE);
    const set = {
      threshold: 0,
      serverNoContextTakeover: true,
      clientNoContextTakeover: true,
      serverMaxWindowBits: 9,
      clientMaxWindowBits: 8,
      level: 9,
      memLevel: 1,
    };
    expect(checkDeflateOptions(set, "x")).toEqual(set);
    expect(checkDeflateOptions({ level: 0, threshold: Infinity }, "x")).toEqual({ ...DEFAULT_DEFLATE, level: 0, threshold: Infinity });
  });

  test("the result is a fresh object: changing it does not change the defaults", () => {
    const resolved = checkDeflateOptions(true, "x");
    expect(resolved).not.toBe(DEFAULT_DEFLATE);
    expect(Object.isFrozen(DEFAULT_DEFLATE)).toBe(true);
  });

  test("something other than a boolean or an object is a TypeError naming where", () => {
    const cases: [unknown, string][] = [[null, "null"], ["yes", '"yes"'], [1, "1"], [[], "an array"], [undefined, "undefined"]];
    for (const [value, shown] of cases) {
      expect(() => checkDeflateOptions(value as never, "app perMessageDeflate")).toThrow(
        new TypeError(`app perMessageDeflate must be true, false or an options object, got ${shown}`),
      );
    }
  });

  test("an unknown field is a TypeError naming it, so typos do not pass silently", () => {
    expect(() => checkDeflateOptions({ serverMaxWindowBit: 10 } as unknown as DeflateLike, "route")).toThrow(TypeError);
    expect(() => checkDeflateOptions({ serverMaxWindowBit: 10 } as unknown as DeflateLike, "route")).toThrow(
      'route has no option "serverMaxWindowBit"; the options are threshold, serverNoContextTakeover, clientNoContextTakeover, serverMaxWindowBits, clientMaxWindowBits, level, memLevel',
    );
    // The whole message, so nothing is added to a range error that has no reason to give.
    expect(() => checkDeflateOptions({ level: 12 }, "o")).toThrow(new RangeError("o.level must be a whole number from 0 to 9, got 12"));
  });

  test("a field of the wrong type is a TypeError naming where and the field", () => {
    const cases: [string, unknown][] = [
      ["threshold", "1024"],
      ["serverNoContextTakeover", 1],
      ["clientNoContextTakeover", "true"],
      ["serverMaxWindowBits", "10"],
      ["clientMaxWindowBits", null],
      ["level", "fast"],
      ["memLevel", 8n],
      ["level", {}],
    ];
    for (const [field, value] of cases) {
      expect(() => checkDeflateOptions({ [field]: value } as unknown as DeflateLike, "opts"), field).toThrow(TypeError);
      expect(() => checkDeflateOptions({ [field]: value } as unknown as DeflateLike, "opts"), field).toThrow(`opts.${field} must be`);
    }
  });

  test("a wrong value is shown in the message as written", () => {
    expect(() => checkDeflateOptions({ level: {} } as unknown as DeflateLike, "o")).toThrow("o.level must be a number, got an object");
    expect(() => checkDeflateOptions({ level: [1] } as unknown as DeflateLike, "o")).toThrow("o.level must be a number, got an array");
    expect(() => checkDeflateOptions({ level: "1" } as unknown as DeflateLike, "o")).toThrow('o.level must be a number, got "1"');
    expect(() => checkDeflateOptions({ serverNoContextTakeover: null } as unknown as DeflateLike, "o")).toThrow("o.serverNoContextTakeover must be true or false, got null");
  });

  test("a number out of range is a RangeError naming where, the field and the value", () => {
    const cases: [string, number][] = [
      ["threshold", -1],
      ["threshold", 1.5],
      ["threshold", NaN],
      ["threshold", -Infinity],
      ["serverMaxWindowBits", 16],
      ["serverMaxWindowBits", 9.5],
      ["clientMaxWindowBits", 7],
      ["clientMaxWindowBits", 16],
      ["clientMaxWindowBits", 12.5],
      ["level", -1],
      ["level", 10],
      ["level", 0.5],
      ["memLevel", 0],
      ["memLevel", 10],
      ["memLevel", Infinity],
    ];
    for (const [field, value] of cases) {
      const check = () => checkDeflateOptions({ [field]: value }, "opts");
      expect(check, `${field}=${value}`).toThrow(RangeError);
      expect(check, `${field}=${value}`).toThrow(`opts.${field} must be a whole number`);
      expect(check, `${field}=${value}`).toThrow(`got ${value}`);
    }
  });

  test("the ends of each range are accepted", () => {
    for (const [field, min, max] of [["serverMaxWindowBits", 9, 15], ["clientMaxWindowBits", 8, 15], ["level", 0, 9], ["memLevel", 1, 9]] as const) {
      for (const value of [min, max]) {
        const resolved = checkDeflateOptions({ [field]: value }, "opts");
        expect(resolved && resolved[field]).toBe(value);
      }
    }
  });

  test("a server window of 8 bits is refused with the reason: zlib cannot deflate with it", () => {
    expect(() => checkDeflateOptions({ serverMaxWindowBits: 8 }, "opts")).toThrow(RangeError);
    expect(() => checkDeflateOptions({ serverMaxWindowBits: 8 }, "opts")).toThrow(/from 9 to 15, got 8 \(zlib/);
  });
});

type DeflateLike = Parameters<typeof checkDeflateOptions>[0];

describe("parseExtensions", () => {
  test("no header, or an empty one, is no offers", () => {
    expect(parseExtensions(null)).toEqual([]);
    expect(parseExtensions("")).toEqual([]);
    expect(parseExtensions("  ,\t, ")).toEqual([]);
  });

  test("Firefox's offer: a bare permessage-deflate", () => {
    expect(parseExtensions("permessage-deflate")).toEqual([{ name: "permessage-deflate", params: [] }]);
  });

  test("Chromium's offer: a valueless client_max_window_bits", () => {
    expect(parseExtensions("permessage-deflate; client_max_window_bits")).toEqual([
      { name: "permessage-deflate", params: [{ name: "client_max_window_bits", value: null }] },
    ]);
  });

  test("several extensions, each with its parameters in order, duplicates kept", () => {
    expect(parseExtensions("permessage-deflate; client_max_window_bits; server_max_window_bits=10, x-foo; a=1; a=2, permessage-deflate")).toEqual([
      {
        name: "permessage-deflate",
        params: [
          { name: "client_max_window_bits", value: null },
          { name: "server_max_window_bits", value: "10" },
        ],
      },
      { name: "x-foo", params: [{ name: "a", value: "1" }, { name: "a", value: "2" }] },
      { name: "permessage-deflate", params: [] },
    ]);
  });

  test("header lines joined by Headers read as one list", () => {
    const headers = new Headers();
    headers.append("sec-websocket-extensions", "permessage-deflate; server_max_window_bits=10");
    headers.append("sec-websocket-extensions", "permessage-deflate");
    expect(parseExtensions(headers.get("sec-websocket-extensions")).map((offer) => offer.params.length)).toEqual([1, 0]);
  });

  test("names are lower-cased, values keep their case", () => {
    expect(parseExtensions("PerMessage-Deflate; Client_Max_Window_Bits; X=AbC")).toEqual([
      {
        name: "permessage-deflate",
        params: [
          { name: "client_max_window_bits", value: null },
          { name: "x", value: "AbC" },
        ],
      },
    ]);
  });

  test("spaces and tabs around every separator are allowed, and none at all", () => {
    const expected = [
      { name: "a", params: [{ name: "b", value: "1" }, { name: "c", value: null }] },
      { name: "d", params: [] },
    ];
    expect(parseExtensions("a;b=1;c,d")).toEqual(expected);
    expect(parseExtensions(" \ta \t; b \t= 1 ;\tc\t ,  d \t")).toEqual(expected);
  });

  test("quoted values are unquoted, quoted-pairs resolved", () => {
    expect(parseExtensions('a; b="10"; c="1\\0"; d = "x"')).toEqual([
      {
        name: "a",
        params: [
          { name: "b", value: "10" },
          { name: "c", value: "10" },
          { name: "d", value: "x" },
        ],
      },
    ]);
  });

  test("empty list elements are skipped (RFC 7230 §7)", () => {
    expect(parseExtensions(", a,, b ,").map((offer) => offer.name)).toEqual(["a", "b"]);
  });

  test("a malformed header is no offers at all, even where an earlier part was fine", () => {
    const malformed = [
      "permessage-deflate;",
      "permessage-deflate; ",
      ";x",
      "a b",
      "a;;b",
      "a; =1",
      "a; b=",
      "a; b= ,c",
      "a; b=1=2",
      "a; b=1 2",
      'a; b="1 0"',
      'a; b="10',
      'a; b="10\\',
      'a; b=""',
      'a; b="1,0"',
      'a; b="10"x',
      '"a"',
      "a; b=é",
      "é",
      "a/b",
      "a; b/c",
      "permessage-deflate, a b",
      "permessage-deflate; c@",
    ];
    for (const header of malformed) expect(parseExtensions(header), header).toEqual([]);
  });

  test("round trip: any list of offers, written with any spacing, case and quoting, parses back", () => {
    fc.assert(
      fc.property(arbitraryHeader(fc.array(arbitraryExtension(), { maxLength: 5 })), ({ header, offers }) => {
        expect(parseExtensions(header)).toEqual(offers);
      }),
    );
  });

  test("never throws, whatever the header", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(..." \t,;=\"\\abc19é") }), (header) => {
        const offers = parseExtensions(header);
        expect(Array.isArray(offers)).toBe(true);
        expect(() => negotiateDeflate(offers, DEFAULT_DEFLATE)).not.toThrow();
      }),
    );
  });
});

describe("negotiateDeflate: real offers", () => {
  test("Firefox's bare offer is answered with a bare permessage-deflate and full windows", () => {
    const result = negotiateDeflate(parseExtensions("permessage-deflate"), DEFAULT_DEFLATE);
    expect(result).toEqual({
      response: "permessage-deflate",
      params: {
        serverNoContextTakeover: false,
        clientNoContextTakeover: false,
        serverMaxWindowBits: 15,
        clientMaxWindowBits: 15,
        threshold: 1024,
        level: 1,
        memLevel: 8,
      },
    });
  });

  test("Chromium's offer is answered without client_max_window_bits while ours is 15", () => {
    expect(answer("permessage-deflate; client_max_window_bits")).toBe("permessage-deflate");
  });

  test("threshold, level and memLevel pass through to the codec's parameters", () => {
    const result = negotiateDeflate(parseExtensions("permessage-deflate"), options({ threshold: 7, level: 4, memLevel: 3 }));
    expect(result?.params).toMatchObject({ threshold: 7, level: 4, memLevel: 3 });
  });

  test("no offer, or none of permessage-deflate, accepts nothing", () => {
    expect(answer(null)).toBeUndefined();
    expect(answer("")).toBeUndefined();
    expect(answer("x-webkit-deflate-frame")).toBeUndefined();
    expect(answer("permessage-deflate-x, deflate-frame")).toBeUndefined();
  });

  test("other extensions before it are passed over; the name matches in any case", () => {
    expect(answer("x-webkit-deflate-frame; no_context_takeover, PerMessage-Deflate")).toBe("permessage-deflate");
  });
});

describe("negotiateDeflate: the RFC 7692 §7.1.3 examples", () => {
  test("the simplest offer is accepted with the simplest answer", () => {
    expect(answer("permessage-deflate")).toBe("permessage-deflate");
  });

  test("a request for a 1,024-byte server window is accepted by echoing it", () => {
    const result = negotiateDeflate(parseExtensions("permessage-deflate; client_max_window_bits; server_max_window_bits=10"), DEFAULT_DEFLATE);
    expect(result?.response).toBe("permessage-deflate; server_max_window_bits=10");
    expect(result?.params.serverMaxWindowBits).toBe(10);
    expect(result?.params.clientMaxWindowBits).toBe(15);
  });

  test("with a fallback offer, the first one the server can honour is taken", () => {
    const header = "permessage-deflate; client_max_window_bits; server_max_window_bits=10, permessage-deflate; client_max_window_bits";
    expect(answer(header)).toBe("permessage-deflate; server_max_window_bits=10");
    expect(answer(header, { clientMaxWindowBits: 11 })).toBe("permessage-deflate; server_max_window_bits=10; client_max_window_bits=11");
  });

  test("the same fallback, where the first offer is one this server cannot honour", () => {
    expect(answer("permessage-deflate; client_max_window_bits; server_max_window_bits=8, permessage-deflate; client_max_window_bits")).toBe(
      "permessage-deflate",
    );
  });
});

describe("negotiateDeflate: context takeover", () => {
  test("a client's server_no_context_takeover is honoured and echoed", () => {
    const result = negotiateDeflate(parseExtensions("permessage-deflate; server_no_context_takeover"), DEFAULT_DEFLATE);
    expect(result?.response).toBe("permessage-deflate; server_no_context_takeover");
    expect(result?.params.serverNoContextTakeover).toBe(true);
  });

  test("our serverNoContextTakeover is announced even when not asked for", () => {
    const result = negotiateDeflate(parseExtensions("permessage-deflate"), options({ serverNoContextTakeover: true }));
    expect(result?.response).toBe("permessage-deflate; server_no_context_takeover");
    expect(result?.params.serverNoContextTakeover).toBe(true);
  });

  test("our clientNoContextTakeover is sent whatever the offer", () => {
    const result = negotiateDeflate(parseExtensions("permessage-deflate"), options({ clientNoContextTakeover: true }));
    expect(result?.response).toBe("permessage-deflate; client_no_context_takeover");
    expect(result?.params.clientNoContextTakeover).toBe(true);
  });

  test("a client's client_no_context_takeover hint is echoed and recorded", () => {
    const result = negotiateDeflate(parseExtensions("permessage-deflate; client_no_context_takeover"), DEFAULT_DEFLATE);
    expect(result?.response).toBe("permessage-deflate; client_no_context_takeover");
    expect(result?.params.clientNoContextTakeover).toBe(true);
    expect(result?.params.serverNoContextTakeover).toBe(false);
  });

  test("everything at once comes out in a fixed order", () => {
    const header = "permessage-deflate; client_max_window_bits=12; server_max_window_bits=11; client_no_context_takeover; server_no_context_takeover";
    expect(answer(header)).toBe(
      "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=11; client_max_window_bits=12",
    );
  });
});

describe("negotiateDeflate: window sizes", () => {
  test("the server window is the smaller of the client's request and ours", () => {
    expect(negotiateDeflate(parseExtensions("permessage-deflate; server_max_window_bits=12"), options({ serverMaxWindowBits: 10 }))?.params.serverMaxWindowBits).toBe(10);
    expect(answer("permessage-deflate; server_max_window_bits=12", { serverMaxWindowBits: 10 })).toBe("permessage-deflate; server_max_window_bits=10");
    expect(answer("permessage-deflate; server_max_window_bits=9", { serverMaxWindowBits: 10 })).toBe("permessage-deflate; server_max_window_bits=9");
  });

  test("an offered server_max_window_bits is echoed even at 15 (acceptance means including it)", () => {
    expect(answer("permessage-deflate; server_max_window_bits=15")).toBe("permessage-deflate; server_max_window_bits=15");
  });

  test("our smaller server window is announced even when the client did not ask", () => {
    const result = negotiateDeflate(parseExtensions("permessage-deflate"), options({ serverMaxWindowBits: 12 }));
    expect(result?.response).toBe("permessage-deflate; server_max_window_bits=12");
    expect(result?.params.serverMaxWindowBits).toBe(12);
  });

  test("a server window of 8 bits is declined: zlib would use 9, more than was allowed", () => {
    expect(answer("permessage-deflate; server_max_window_bits=8")).toBeUndefined();
    expect(answer("permessage-deflate; server_max_window_bits=8, permessage-deflate; server_max_window_bits=9")).toBe(
      "permessage-deflate; server_max_window_bits=9",
    );
  });

  test("our clientMaxWindowBits is sent to a client that announced client_max_window_bits", () => {
    const result = negotiateDeflate(parseExtensions("permessage-deflate; client_max_window_bits"), options({ clientMaxWindowBits: 10 }));
    expect(result?.response).toBe("permessage-deflate; client_max_window_bits=10");
    expect(result?.params.clientMaxWindowBits).toBe(10);
  });

  test("an offer without client_max_window_bits is declined when we must limit the client", () => {
    expect(answer("permessage-deflate", { clientMaxWindowBits: 14 })).toBeUndefined();
    expect(answer("permessage-deflate, permessage-deflate; client_max_window_bits", { clientMaxWindowBits: 14 })).toBe(
      "permessage-deflate; client_max_window_bits=14",
    );
  });

  test("client_max_window_bits is never sent to a client that did not announce it", () => {
    for (const header of ["permessage-deflate", "permessage-deflate; server_max_window_bits=10; server_no_context_takeover"]) {
      expect(answer(header)).not.toMatch(/client_max_window_bits/);
    }
  });

  test("a client's own window figure is answered, the smaller of it and ours", () => {
    const result = negotiateDeflate(parseExtensions("permessage-deflate; client_max_window_bits=10"), DEFAULT_DEFLATE);
    expect(result?.response).toBe("permessage-deflate; client_max_window_bits=10");
    expect(result?.params.clientMaxWindowBits).toBe(10);
    expect(answer("permessage-deflate; client_max_window_bits=12", { clientMaxWindowBits: 9 })).toBe("permessage-deflate; client_max_window_bits=9");
    expect(answer("permessage-deflate; client_max_window_bits=8")).toBe("permessage-deflate; client_max_window_bits=8");
    expect(answer("permessage-deflate; client_max_window_bits=15")).toBe("permessage-deflate");
  });

  test("quoted window values count as the token inside", () => {
    expect(answer('permessage-deflate; server_max_window_bits="10"; client_max_window_bits="11"')).toBe(
      "permessage-deflate; server_max_window_bits=10; client_max_window_bits=11",
    );
  });
});

describe("negotiateDeflate: offers that are declined, not failed", () => {
  /** Each bad offer is followed by a good one, which must then be the one taken. */
  function declines(bad: string): void {
    expect(answer(bad), bad).toBeUndefined();
    expect(answer(`${bad}, permessage-deflate; server_no_context_takeover`), bad).toBe("permessage-deflate; server_no_context_takeover");
  }

  test("an unknown parameter", () => {
    declines("permessage-deflate; mux");
    declines("permessage-deflate; max_window_bits=10");
    declines("permessage-deflate; client_max_window_bits; x=1");
  });

  test("a repeated parameter, in any case, with or without the same value", () => {
    declines("permessage-deflate; server_no_context_takeover; server_no_context_takeover");
    declines("permessage-deflate; Client_No_Context_Takeover; client_no_context_takeover");
    declines("permessage-deflate; server_max_window_bits=10; server_max_window_bits=10");
    declines("permessage-deflate; client_max_window_bits; client_max_window_bits=10");
  });

  test("a value on a valueless parameter, quoted or not", () => {
    declines("permessage-deflate; server_no_context_takeover=1");
    declines("permessage-deflate; client_no_context_takeover=true");
    declines('permessage-deflate; server_no_context_takeover="x"');
  });

  test("server_max_window_bits without a value", () => {
    declines("permessage-deflate; server_max_window_bits");
  });

  test("a window size outside 8..15 or not written as plain decimal", () => {
    for (const bits of ["7", "16", "0", "08", "015", "+9", "-9", "1e1", "10.0", "0x9", "ten", "150"]) {
      declines(`permessage-deflate; server_max_window_bits=${bits}`);
      declines(`permessage-deflate; client_max_window_bits=${bits}`);
      declines(`permessage-deflate; client_max_window_bits="${bits}"`);
    }
  });

  test("every window size 8..15 is valid for the client, 9..15 for the server", () => {
    for (let bits = 8; bits <= 15; bits++) {
      expect(answer(`permessage-deflate; client_max_window_bits=${bits}`), String(bits)).toBeDefined();
      const server = answer(`permessage-deflate; server_max_window_bits=${bits}`);
      if (bits === 8) expect(server).toBeUndefined();
      else expect(server).toBe(`permessage-deflate; server_max_window_bits=${bits}`);
    }
  });
});

describe("negotiateDeflate: property", () => {
  test("the answer parses back as one permessage-deflate whose parameters the chosen offer allows", () => {
    fc.assert(
      fc.property(arbitraryHeader(fc.array(fc.oneof(arbitraryDeflateOffer(), arbitraryExtension()), { maxLength: 4 })), arbitraryOptions(), ({ header, offers }, opts) => {
        const result = negotiateDeflate(parseExtensions(header), opts);
        const chosen = offers.find((offer) => offer.name === "permessage-deflate" && honourable(offer, opts));
        if (chosen === undefined) {
          expect(result).toBeUndefined();
          return;
        }
        expect(result).toBeDefined();
        if (result === undefined) return;
        const answered = parseExtensions(result.response);
        expect(answered).toHaveLength(1);
        expect(answered[0]?.name).toBe("permessage-deflate");
        const params = answered[0]?.params ?? [];
        const names = params.map((param) => param.name);
        expect(new Set(names).size).toBe(names.length);
        const offered = new Map(chosen.params.map((param) => [param.name, param.value]));
        const got = new Map(params.map((param) => [param.name, param.value]));
        for (const name of names) {
          expect(["server_no_context_takeover", "client_no_context_takeover", "server_max_window_bits", "client_max_window_bits"]).toContain(name);
        }

        expect(got.has("server_no_context_takeover")).toBe(offered.has("server_no_context_takeover") || opts.serverNoContextTakeover);
        expect(got.has("client_no_context_takeover")).toBe(offered.has("client_no_context_takeover") || opts.clientNoContextTakeover);
        expect(got.get("server_no_context_takeover") ?? null).toBeNull();
        expect(got.get("client_no_context_takeover") ?? null).toBeNull();

        const serverAsked = offered.get("server_max_window_bits");
        const serverGot = got.get("server_max_window_bits");
        if (serverAsked !== undefined) expect(Number(serverGot)).toBe(Math.min(Number(serverAsked), opts.serverMaxWindowBits));
        else if (opts.serverMaxWindowBits < 15) expect(serverGot).toBe(String(opts.serverMaxWindowBits));
        else expect(serverGot).toBeUndefined();

        const clientGot = got.get("client_max_window_bits");
        if (!offered.has("client_max_window_bits")) expect(clientGot).toBeUndefined();
        if (clientGot !== undefined) {
          expect(clientGot).toMatch(/^(?:[89]|1[0-5])$/);
          expect(Number(clientGot)).toBeLessThanOrEqual(Number(offered.get("client_max_window_bits") ?? 15));
          expect(Number(clientGot)).toBeLessThanOrEqual(opts.clientMaxWindowBits);
        }
        if (opts.clientMaxWindowBits < 15) expect(Number(clientGot)).toBeLessThanOrEqual(opts.clientMaxWindowBits);

        expect(result.params).toEqual({
          serverNoContextTakeover: got.has("server_no_context_takeover"),
          clientNoContextTakeover: got.has("client_no_context_takeover"),
          serverMaxWindowBits: Number(serverGot ?? 15),
          clientMaxWindowBits: Number(clientGot ?? 15),
          threshold: opts.threshold,
          level: opts.level,
          memLevel: opts.memLevel,
        });
      }),
      { numRuns: 500 },
    );
  });
});

/** Whether the server can take a valid permessage-deflate offer: the rules, stated once more. */
function honourable(offer: ExtensionOffer, opts: ResolvedDeflate): boolean {
  const server = offer.params.find((param) => param.name === "server_max_window_bits");
  if (server !== undefined && Number(server.value) < 9) return false;
  return opts.clientMaxWindowBits === 15 || offer.params.some((param) => param.name === "client_max_window_bits");
}

const TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const space = fc.constantFrom("", " ", "\t", " \t ");

function arbitraryToken(): fc.Arbitrary<string> {
  return fc.string({ unit: fc.constantFrom(...TCHARS), minLength: 1, maxLength: 8 });
}

/** An offer as parsed (names lower-case) paired with one way of writing it. */
interface Written {
  offer: ExtensionOffer;
  text: string;
}

function writeParam(name: string, value: string | null): fc.Arbitrary<string> {
  return fc.tuple(space, space, fc.mixedCase(fc.constant(name)), space, space, fc.constantFrom("plain", "quoted", "escaped")).map(
    ([before, after, cased, beforeEq, afterEq, style]) => {
      let text = `${before};${after}${cased}`;
      if (value !== null) {
        const written = style === "plain" ? value : style === "quoted" ? `"${value}"` : `"${value.replace(/./g, "\\$&")}"`;
        text += `${beforeEq}=${afterEq}${written}`;
      }
      return text;
    },
  );
}

function writeOffer(name: string, params: readonly { name: string; value: string | null }[]): fc.Arbitrary<Written> {
  return fc.tuple(fc.mixedCase(fc.constant(name)), ...params.map((param) => writeParam(param.name, param.value))).map(([cased, ...written]) => ({
    offer: { name: name.toLowerCase(), params: params.map((param) => ({ name: param.name.toLowerCase(), value: param.value })) },
    text: cased + written.join(""),
  }));
}

/** Any extension with any parameters, permessage-deflate or not. */
function arbitraryExtension(): fc.Arbitrary<Written> {
  const param = fc.record({ name: arbitraryToken(), value: fc.option(arbitraryToken(), { nil: null }) });
  return fc.tuple(arbitraryToken(), fc.array(param, { maxLength: 4 })).chain(([name, params]) => writeOffer(name, params));
}

/** A valid permessage-deflate offer: any subset of its parameters, in any order, valid values. */
function arbitraryDeflateOffer(): fc.Arbitrary<Written> {
  const bits = fc.integer({ min: 8, max: 15 }).map(String);
  const all = fc.tuple(bits, fc.option(bits, { nil: null })).map(([server, client]) => [
    { name: "server_no_context_takeover", value: null },
    { name: "client_no_context_takeover", value: null },
    { name: "server_max_window_bits", value: server },
    { name: "client_max_window_bits", value: client },
  ]);
  return all.chain((params) => fc.shuffledSubarray(params)).chain((params) => writeOffer("permessage-deflate", params));
}

/** A header listing the offers, with optional empty elements and spacing between them. */
function arbitraryHeader(offers: fc.Arbitrary<Written[]>): fc.Arbitrary<{ header: string; offers: ExtensionOffer[] }> {
  return offers.chain((written) =>
    fc.array(fc.tuple(space, fc.constantFrom(",", ", ,", ",,"), space), { minLength: written.length + 1, maxLength: written.length + 1 }).map((separators) => ({
      header: written.map((w, i) => (i === 0 ? "" : (separators[i]?.join("") ?? ",")) + w.text).join(""),
      offers: written.map((w) => w.offer),
    }))
  );
}

function arbitraryOptions(): fc.Arbitrary<ResolvedDeflate> {
  return fc.record({
    threshold: fc.nat(),
    serverNoContextTakeover: fc.boolean(),
    clientNoContextTakeover: fc.boolean(),
    serverMaxWindowBits: fc.integer({ min: 9, max: 15 }),
    clientMaxWindowBits: fc.integer({ min: 8, max: 15 }),
    level: fc.integer({ min: 0, max: 9 }),
    memLevel: fc.integer({ min: 1, max: 9 }),
  });
}
