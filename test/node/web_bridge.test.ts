/** The node:http bridge: the handshake answer Node computes itself, and the upgrade request it reads. */
import fc from "fast-check";
import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { acceptValue, upgradeRequestOf } from "../../adapters/node/web_bridge.ts";

const KEY = "dGhlIHNhbXBsZSBub25jZQ==";

describe("Sec-WebSocket-Accept (§1.3, §4.2.2)", () => {
  it("the RFC example: key dGhlIHNhbXBsZSBub25jZQ== is answered with s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", () => {
    expect(acceptValue(KEY)).toBe("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  });

  it("whitespace around a raw header value is not part of the key (RFC 7230 §3.2.4)", () => {
    expect(acceptValue(` ${KEY}\t`)).toBe("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  });

  it("another key gets another answer", () => {
    expect(acceptValue("AQIDBAUGBwgJCgsMDQ4PEA==")).not.toBe("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  });
});

describe("the upgrade request read from node:http (upgradeRequestOf)", () => {
  const NAMES = ["upgrade", "connection", "sec-websocket-key", "sec-websocket-protocol", "origin", "x-other"];
  /**
   * What node:http's request holds; only the fields upgradeRequestOf may read. Its `headers`
   * throws: node:http builds that object on first read, which the handshake does without.
   */
  const incoming = (rawHeaders: string[], url = "/chat?room=1", httpVersion = "1.1") =>
    ({
      rawHeaders,
      url,
      method: "GET",
      httpVersion,
      get headers(): never {
        throw new Error("node:http's headers object was built");
      },
      socket: {},
    }) as unknown as IncomingMessage;
  const read = (req: IncomingMessage) => {
    const request = upgradeRequestOf(req);
    if (!request) throw new Error("no request");
    return request;
  };

  it("headers read as `Headers.get` reads them: any case, repeats joined, spaces and tabs trimmed", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.constantFrom(...NAMES).chain((n) => fc.constantFrom(n, n.toUpperCase(), n[0]!.toUpperCase() + n.slice(1))),
            fc.tuple(fc.constantFrom("", " ", "\t", " \t"), fc.stringMatching(/^[!-~]([ !-~]*[!-~])?$/), fc.constantFrom("", " ", "\t")),
          ),
          { maxLength: 12 },
        ),
        (pairs) => {
          const raw = ["HOST", " example.test", ...pairs.flatMap(([name, [lead, value, trail]]) => [name, lead + value + trail])];
          const reference = new Headers();
          for (let i = 0; i < raw.length; i += 2) reference.append(raw[i]!, raw[i + 1]!);
          const { headers } = read(incoming(raw));
          for (const name of ["host", ...NAMES]) expect(headers.get(name)).toBe(reference.get(name));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("one URL, its pathname with dot segments resolved; the web Request only on demand, then the same one", () => {
    const req = read(incoming(["Host", "example.test", "X-Id", "7"], "/a/../chat?room=1"));
    expect(req.url).toBe("http://example.test/chat?room=1");
    expect(req.pathname).toBe("/chat");
    const request = req.request();
    expect(request.url).toBe(req.url);
    expect(request.headers.get("x-id")).toBe("7");
    expect(req.request()).toBe(request);
  });

  // RFC 9112 §3.2.1: an origin-form target is an absolute path; resolved as a relative URL,
  // "//attacker.example/admin" would take the host from the target and route as "/admin".
  it("a target that starts with // or /\\ is a path on the Host's origin, never another host", () => {
    for (const target of ["//attacker.example/admin/ws", "/\\attacker.example/admin/ws"]) {
      const req = read(incoming(["Host", "example.test"], target));
      expect(new URL(req.url).host).toBe("example.test");
      expect(req.pathname).toBe("//attacker.example/admin/ws");
    }
    // The absolute form names its own host, which RFC 9112 §3.2.2 says wins over Host.
    expect(read(incoming(["Host", "example.test"], "http://other.test/chat")).url).toBe("http://other.test/chat");
  });

  it("no Host: none for HTTP/1.1 (refused with 400), localhost for HTTP/1.0, which may omit it", () => {
    expect(upgradeRequestOf(incoming(["Upgrade", "websocket"]))).toBeUndefined();
    expect(read(incoming(["Upgrade", "websocket"], "/chat", "1.0")).url).toBe("http://localhost/chat");
  });

  it("a name is matched in ASCII case only, as HTTP names are", () => {
    // U+212A (Kelvin sign) lower-cases to "k" in JavaScript; it is no "k" in a header name.
    const { headers } = read(incoming(["Host", "example.test", "Sec-WebSocket-\u212Aey", "x"]));
    expect(headers.get("sec-websocket-key")).toBeNull();
  });
});
