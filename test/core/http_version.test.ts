/**
 * `httpVersionOf`: a request is "2" only when an adapter marked it (the Node adapter, for HTTP/2
 * streams and plain HTTP/2 requests: test/node/http2.test.ts); anything else is "1.1".
 */
import { describe, expect, it } from "vitest";
import { httpVersionOf, Rookery } from "../../mod.ts";
import { markHttp2 } from "../../src/http_version.ts";
import { openConnection } from "../../src/lifecycle.ts";
import type { SocketPort } from "../../src/socket_port.ts";
import { decideUpgrade, type UpgradeDecision, type UpgradeRequest } from "../../src/upgrade.ts";
import { upgradeRequest } from "../support/memory_transport.ts";

describe("httpVersionOf", () => {
  it("a Request built in code is 1.1; one an adapter marked is 2, and a copy of it is not", () => {
    const plain = new Request("https://example.com/ws");
    expect(httpVersionOf(plain)).toBe("1.1");
    const marked = markHttp2(new Request("https://example.com/ws"));
    expect(httpVersionOf(marked)).toBe("2");
    expect(httpVersionOf(marked.clone())).toBe("1.1");
    expect(httpVersionOf(plain)).toBe("1.1");
  });

  it("onaccept sees the very Request the adapter marked", () => {
    const app = new Rookery({ logger: () => {} });
    const seen: string[] = [];
    app.ws("/ws").onaccept((req) => void seen.push(httpVersionOf(req)));
    const stream = (marked: boolean): UpgradeRequest => {
      const request = new Request("https://example.com/ws", { headers: { "sec-websocket-version": "13" } });
      return {
        method: "CONNECT",
        url: request.url,
        pathname: "/ws",
        headers: request.headers,
        extendedConnect: true,
        request: () => (marked ? markHttp2(request) : request),
      };
    };
    expect((decideUpgrade(app, stream(true)) as { kind: string }).kind).toBe("accept");
    expect((decideUpgrade(app, stream(false)) as { kind: string }).kind).toBe("accept");
    expect(seen).toEqual(["2", "1.1"]);
  });
});

describe("an extended CONNECT (RFC 8441) through the core", () => {
  const app = new Rookery({ logger: () => {} });
  app.ws("/ws");
  const stream = (headers: Record<string, string>): UpgradeRequest => {
    const request = new Request("https://example.com/ws", { headers });
    return { method: "CONNECT", url: request.url, pathname: "/ws", headers: request.headers, extendedConnect: true, request: () => request };
  };
  const decided = (source: UpgradeRequest | Request) => decideUpgrade(app, source) as UpgradeDecision;
  const port: SocketPort = { send: () => "sent", close() {}, sendPing: () => "sent", terminate() {}, bufferedAmount: 0 };

  it("is decided by its version alone: 13 is accepted as a stream, any other or none gets 426 naming 13", () => {
    const accepted = decided(stream({ "sec-websocket-version": "13" }));
    expect(accepted.kind === "accept" && accepted.acceptance.extendedConnect).toBe(true);
    const others: Record<string, string>[] = [{ "sec-websocket-version": "8" }, {}];
    for (const headers of others) {
      const refused = decided(stream(headers));
      expect(refused.kind).toBe("respond");
      if (refused.kind !== "respond") continue;
      expect([refused.response.status, refused.response.headers.get("sec-websocket-version")]).toEqual([426, "13"]);
    }
  });

  it("conn.httpVersion is 2 for a stream and 1.1 for an upgrade", () => {
    const upgrade = decided(upgradeRequest("/ws"));
    const overStream = decided(stream({ "sec-websocket-version": "13" }));
    if (upgrade.kind !== "accept" || overStream.kind !== "accept") throw new Error("not accepted");
    expect(upgrade.acceptance.extendedConnect).toBe(false);
    expect(openConnection(app, overStream.acceptance, port).connection.httpVersion).toBe("2");
    expect(openConnection(app, upgrade.acceptance, port).connection.httpVersion).toBe("1.1");
  });
});
