/**
 * docs/recipes/hono.md: the same Hono app (examples/recipes/hono_app.ts) behind Rookery on Node
 * (hono_node.ts, @hono/node-server), Bun (hono_bun.ts) and Deno (hono_deno.ts), each run on its
 * own runtime.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, type Runtime, startServer } from "../../scripts/spawn_server.ts";
import { connect, recipeChecks, refusedWith } from "./support.ts";

const scripts: Record<Runtime, string> = {
  node: "examples/recipes/hono_node.ts",
  bun: "examples/recipes/hono_bun.ts",
  deno: "examples/recipes/hono_deno.ts",
};
const authorized = { authorization: "Bearer let-me-in" };

describe.each<Runtime>(["node", "bun", "deno"])("recipe: Hono on %s", (runtime) => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer(runtime, scripts[runtime]);
  }, 30_000);
  afterAll(() => server?.stop());

  recipeChecks(
    {
      runtime,
      script: scripts[runtime],
      ws: { headers: authorized },
      route: { path: "/hello", body: { hello: "from Hono" } },
      notFound: (_response, body) => expect(body).toBe("404 Not Found"),
    },
    () => server,
  );

  it("one check guards both: Hono's middleware on /private/*, onaccept on Rookery's /ws", async () => {
    const url = `http://127.0.0.1:${server.port}/private/hello`;
    const refused = await fetch(url);
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toBe("Bearer");
    expect(await (await fetch(url, { headers: authorized })).json()).toEqual({ hello: "from behind Hono's middleware" });

    const ws = `ws://127.0.0.1:${server.port}/ws`;
    expect(await refusedWith(ws)).toBe(401);
    expect(await refusedWith(ws, { authorization: "Bearer wrong" })).toBe(401);
    const client = await connect(ws, { headers: authorized });
    client.ws.send("let in");
    expect(await client.next()).toBe("let in");
    client.ws.close();
  });
});
