/** docs/recipes/bun.md: examples/recipes/bun_serve.ts, run on Bun. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../../scripts/spawn_server.ts";
import { connect, recipeChecks } from "./support.ts";

describe("recipe: Bun.serve with routes and Rookery's handlers", () => {
  const script = "examples/recipes/bun_serve.ts";
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer("bun", script);
  }, 30_000);
  afterAll(() => server?.stop());

  recipeChecks(
    {
      runtime: "bun",
      script,
      route: { path: "/hello", body: { hello: "from Bun.serve" } },
      notFound: (_response, body) => expect(body).toBe("No such page\n"),
    },
    () => server,
  );

  it("a route with a parameter answers, and Rookery's route is still there beside it", async () => {
    const response = await fetch(`http://127.0.0.1:${server.port}/users/42`);
    expect(await response.json()).toEqual({ user: "42" });
    // A plain GET on Rookery's path reaches Rookery (no route took it): 426, not the fallback's 404.
    const plain = await fetch(`http://127.0.0.1:${server.port}/ws`);
    expect(plain.status).toBe(426);
    const client = await connect(`ws://127.0.0.1:${server.port}/ws`);
    client.ws.send("after the routes");
    expect(await client.next()).toBe("after the routes");
    client.ws.close();
  });
});
