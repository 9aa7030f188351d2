/** The node:http bridge: the handshake answer Node computes itself. */
import { describe, expect, it } from "vitest";
import { acceptValue } from "../../adapters/node/web_bridge.ts";

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
