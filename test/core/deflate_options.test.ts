/**
 * permessage-deflate as the core sees it: the option on the app and the route (validated, route
 * over app, `false` turning the app's off), negotiation only where the adapter's codec can
 * compress, the answer in the 101's headers, and a compressed frame's RSV1.
 */
import { describe, expect, it } from "vitest";
import { Rookery } from "../../mod.ts";
import { DEFAULT_DEFLATE } from "../../src/protocol/deflate_params.ts";
import { shouldCompress } from "../../src/protocol/permessage_deflate.ts";
import { ServerHost } from "../../src/server_host.ts";
import { deflateSetting, decideUpgrade } from "../../src/upgrade.ts";
import { upgradeRequest } from "../support/memory_transport.ts";

const OFFER = { "sec-websocket-extensions": "permessage-deflate; client_max_window_bits" };

async function agreed(app: Rookery, path: string, headers: Record<string, string> = OFFER, deflate = true) {
  const decision = await decideUpgrade(app, upgradeRequest(path, headers), { deflate });
  if (decision.kind !== "accept") throw new Error(`not accepted: ${decision.kind}`);
  return { deflate: decision.acceptance.deflate, answer: decision.acceptance.headers?.get("sec-websocket-extensions") ?? null };
}

describe("the perMessageDeflate option", () => {
  it("the app's setting is validated and completed; true means the defaults", () => {
    expect(new Rookery({ perMessageDeflate: true }).options.perMessageDeflate).toEqual(DEFAULT_DEFLATE);
    expect(new Rookery({ perMessageDeflate: { threshold: 0 } }).options.perMessageDeflate).toEqual({ ...DEFAULT_DEFLATE, threshold: 0 });
    expect(new Rookery({ perMessageDeflate: false }).options.perMessageDeflate).toBe(false);
    expect(() => new Rookery({ perMessageDeflate: { level: 12 } })).toThrow(/perMessageDeflate\.level/);
  });

  it("a route's setting is validated, defaults to true, and wins over the app's", () => {
    const app = new Rookery({ perMessageDeflate: { threshold: 5 } });
    const on = app.ws("/on").perMessageDeflate();
    app.ws("/tuned").perMessageDeflate({ level: 9 });
    app.ws("/off").perMessageDeflate(false);
    app.ws("/inherits");
    expect(on).toBeDefined();
    const route = (p: string) => app.routes.find(p)!.value;
    expect(deflateSetting(route("/on"), app)).toEqual(DEFAULT_DEFLATE);
    expect(deflateSetting(route("/tuned"), app)).toEqual({ ...DEFAULT_DEFLATE, level: 9 });
    expect(deflateSetting(route("/off"), app)).toBe(false);
    expect(deflateSetting(route("/inherits"), app)).toEqual({ ...DEFAULT_DEFLATE, threshold: 5 });
    expect(deflateSetting(route("/inherits"), new Rookery())).toBe(false);
    expect(() => app.ws("/bad").perMessageDeflate({ memLevel: 0 })).toThrow(/perMessageDeflate of route \/bad\.memLevel/);
  });
});

describe("negotiation in decideUpgrade", () => {
  it("agrees where the codec can compress, and answers in the 101's headers", async () => {
    const app = new Rookery({ perMessageDeflate: true });
    app.ws("/ws");
    const { deflate, answer } = await agreed(app, "/ws");
    expect(answer).toBe("permessage-deflate");
    expect(deflate).toMatchObject({ threshold: 1024, serverMaxWindowBits: 15, serverNoContextTakeover: false });
  });

  it("agrees nothing where the adapter cannot compress, for a route with it off, for an app without it, or without an offer", async () => {
    const app = new Rookery({ perMessageDeflate: true });
    app.ws("/ws");
    app.ws("/off").perMessageDeflate(false);
    const plain = new Rookery();
    plain.ws("/ws");
    // Without abilities, decideUpgrade assumes a codec that cannot compress.
    const bare = await decideUpgrade(app, upgradeRequest("/ws", OFFER));
    expect(bare.kind === "accept" && bare.acceptance.deflate).toBeUndefined();
    for (const outcome of [
      await agreed(app, "/ws", OFFER, false),
      await agreed(app, "/off"),
      await agreed(plain, "/ws"),
      await agreed(app, "/ws", {}),
      await agreed(app, "/ws", { "sec-websocket-extensions": "x-webkit-deflate-frame" }),
    ]) {
      expect(outcome).toEqual({ deflate: undefined, answer: null });
    }
  });

  it("the host passes its adapter's ability: only a host whose codec compresses agrees", async () => {
    const app = new Rookery({ perMessageDeflate: true });
    app.ws("/ws");
    const answerOf = async (host: ServerHost<undefined>) => {
      const answer = await host.handle(upgradeRequest("/ws", OFFER), undefined);
      return answer.kind === "accept" ? answer.acceptance.deflate?.threshold : "refused";
    };
    expect(await answerOf(new ServerHost(app, {}, { deflate: true }))).toBe(1024);
    expect(await answerOf(new ServerHost(app))).toBeUndefined();
    expect(await answerOf(new ServerHost(app, {}, {}))).toBeUndefined();
  });
});

describe("the threshold", () => {
  it("messages are compressed from the threshold up", () => {
    const p = { ...DEFAULT_DEFLATE, threshold: 100 };
    expect([99, 100, 101].map((n) => shouldCompress(n, p))).toEqual([false, true, true]);
  });
});
