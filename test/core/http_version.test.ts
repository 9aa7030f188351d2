/**
 * `httpVersionOf`: a request is "2" only when an adapter marked it (the Node adapter, for HTTP/2
 * streams and plain HTTP/2 requests: test/node/http2.test.ts); anything else is "1.1".
 */
import { describe, expect, it } from "vitest";
import { httpVersionOf, Rookery } from "../../mod.ts";
import { markHttp2 } from "../../src/http_version.ts";
import { decideUpgrade, type UpgradeRequest } from "../../src/upgrade.ts";

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
