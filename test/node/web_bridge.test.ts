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
  const NAMES = ["host", "upgrade", "connection", "sec-websocket-key", "sec-websocket-protocol", "origin", "x-other"];
  /** What node:http's request holds; only the fields upgradeRequestOf reads. */
  const incoming = (rawHeaders: string[], url = "/chat?room=1") =>
    ({ rawHeaders, url, method: "GET", headers: { host: "example.test" }, socket: {} }) as unknown as IncomingMessage;

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
          const raw = pairs.flatMap(([name, [lead, value, trail]]) => [name, lead + value + trail]);
          const reference = new Headers();
          for (let i = 0; i < raw.length; i += 2) reference.append(raw[i]!, raw[i + 1]!);
          const { headers } = upgradeRequestOf(incoming(raw));
          for (const name of NAMES) expect(headers.get(name)).toBe(reference.get(name));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("one URL, its pathname with dot segments resolved; the web Request only on demand, then the same one", () => {
    const req = upgradeRequestOf(incoming(["Host", "example.test", "X-Id", "7"], "/a/../chat?room=1"));
    expect(req.url).toBe("http://example.test/chat?room=1");
    expect(req.pathname).toBe("/chat");
    const request = req.request();
    expect(request.url).toBe(req.url);
    expect(request.headers.get("x-id")).toBe("7");
    expect(req.request()).toBe(request);
  });
});
