/**
 * docs/recipes/fastify.md: examples/recipes/fastify.ts, run on Node, and why the recipe closes
 * Rookery in `preClose`.
 */
import Fastify from "fastify";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attach } from "../../adapters/node.ts";
import { Rookery } from "../../mod.ts";
import { type RunningServer, startServer } from "../../scripts/spawn_server.ts";
import { connect, recipeChecks } from "./support.ts";

describe("recipe: Fastify 5 on Node", () => {
  const script = "examples/recipes/fastify.ts";
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer("node", script);
  });
  afterAll(() => server?.stop());

  // The SIGTERM check is the preClose one: the example's handler is `fastify.close()`, which
  // must resolve (and let the process end) while a client is still connected.
  recipeChecks(
    {
      runtime: "node",
      script,
      route: { path: "/hello", body: { hello: "from Fastify" } },
      notFound: (response, body) => {
        expect(response.headers.get("content-type")).toMatch(/^application\/json/);
        expect(JSON.parse(body)).toEqual({ message: "Route GET:/no/such/page not found", error: "Not Found", statusCode: 404 });
      },
    },
    () => server,
  );

  it("why preClose: on onClose instead, fastify.close() waits until the last client has left", async () => {
    const rookery = new Rookery({ logger: () => {} });
    rookery.ws("/ws").onmessage((conn, message) => void conn.send(message));
    const fastify = Fastify();
    attach(rookery, fastify.server);
    fastify.addHook("onClose", () => rookery.close());
    await fastify.listen({ port: 0, host: "127.0.0.1" });
    const client = await connect(`ws://127.0.0.1:${(fastify.server.address() as AddressInfo).port}/ws`);
    let closed = false;
    const closing = fastify.close().then(() => void (closed = true));
    await new Promise((r) => setTimeout(r, 500));
    expect(closed).toBe(false);
    // Only the client leaving lets Fastify's server close; Rookery never got to send its 1001.
    client.ws.close(1000, "leaving");
    expect(await client.closed).toEqual([1000, "leaving"]);
    await closing;
    expect(closed).toBe(true);
  });
});
