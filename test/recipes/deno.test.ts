/** docs/recipes/deno.md: examples/recipes/deno_serve.ts, run on Deno. */
import { afterAll, beforeAll, describe, expect } from "vitest";
import { type RunningServer, startServer } from "../../scripts/spawn_server.ts";
import { recipeChecks } from "./support.ts";

describe("recipe: Deno.serve with Rookery's handler", () => {
  const script = "examples/recipes/deno_serve.ts";
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer("deno", script);
  }, 30_000);
  afterAll(() => server?.stop());

  recipeChecks(
    {
      runtime: "deno",
      script,
      // `you` comes from Deno's ServeHandlerInfo, which reaches the fallback through handler().
      route: { path: "/hello", body: { hello: "from Deno.serve", you: "127.0.0.1" } },
      notFound: (_response, body) => expect(body).toBe("No such page\n"),
    },
    () => server,
  );
});
