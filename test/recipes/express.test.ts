/** docs/recipes/express.md: examples/recipes/express.ts, run on Node. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../../scripts/spawn_server.ts";
import { recipeChecks } from "./support.ts";

describe("recipe: Express 5 on Node", () => {
  const script = "examples/recipes/express.ts";
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer("node", script);
  });
  afterAll(() => server?.stop());

  recipeChecks(
    {
      runtime: "node",
      script,
      route: { path: "/hello", body: { hello: "from Express" } },
      notFound: (response, body) => {
        // finalhandler's page, Express's answer when no route matched.
        expect(body).toContain("Cannot GET /no/such/page");
        expect(response.headers.get("x-powered-by")).toBe("Express");
      },
    },
    () => server,
  );

  it("attach takes only upgrades: a plain GET on Rookery's path is Express's to answer", async () => {
    const response = await fetch(`http://127.0.0.1:${server.port}/ws`);
    expect(response.status).toBe(404);
    expect(await response.text()).toContain("Cannot GET /ws");
  });
});
