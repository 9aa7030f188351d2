/**
 * docs/recipes/tls.md: examples/recipes/tls.ts on Node, with a self-signed certificate made here
 * by `openssl` for this run only (no key is kept in the repository). The clients trust exactly
 * that certificate.
 */
import { Agent, fetch as undiciFetch, WebSocket } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../../scripts/spawn_server.ts";
import { selfSignedCertificate } from "../support/certificate.ts";
import { recipeChecks } from "./support.ts";

const script = "examples/recipes/tls.ts";
const certificate = selfSignedCertificate();
const cert = certificate.certFile;
const key = certificate.keyFile;
const trusting = new Agent({ connect: { ca: certificate.cert } });
const args = ["--cert", cert, "--key", key];

describe("recipe: wss:// on Node through node:https", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer("node", script, { args });
  });
  afterAll(async () => {
    await server?.stop();
    await trusting.close();
    certificate.remove();
  });

  recipeChecks(
    {
      runtime: "node",
      script,
      args,
      scheme: "https",
      ws: { dispatcher: trusting },
      fetch: (url) => undiciFetch(url, { dispatcher: trusting }),
      route: { path: "/hello", body: { hello: "over TLS" } },
      notFound: (_response, body) => expect(body).toBe("No such page\n"),
    },
    () => server,
  );

  it("a client that does not trust the certificate, or does not speak TLS, gets no connection", async () => {
    const failed = (url: string) =>
      new Promise<string>((resolve) => {
        const ws = new WebSocket(url);
        ws.addEventListener("open", () => resolve("opened"));
        ws.addEventListener("error", () => resolve("failed"));
      });
    expect(await failed(`wss://127.0.0.1:${server.port}/ws`)).toBe("failed");
    expect(await failed(`ws://127.0.0.1:${server.port}/ws`)).toBe("failed");
  });
});
