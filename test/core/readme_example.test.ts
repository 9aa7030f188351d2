/** The README's usage example, compiled by `npm test`'s tsc pass and run against the in-memory transport. */
import { describe, expect, expectTypeOf, it } from "vitest";
import { Rookery } from "../../mod.ts";
import { connect, settle, upgradeRequest } from "../support/memory_transport.ts";

function readmeApp() {
  const app = new Rookery({ maxPayload: 1 << 20 });
  const seen: string[] = [];
  app
    .ws("/chat/:room")
    .maxPayload(64 * 1024)
    // deno-lint-ignore require-await -- kept async as in the README, which shows onaccept may be
    .onaccept(async (req, params) => {
      const user = new URL(req.url).searchParams.get("user");
      if (!user) return false;
      return { data: { user, room: params.room } };
    })
    .onopen((conn) => {
      expectTypeOf(conn.data).toEqualTypeOf<{ user: string; room: string }>();
      conn.send(`hello ${conn.data.user}`);
    })
    .onmessage((_conn, message, isBinary) => void seen.push(`${isBinary}:${String(message)}`))
    .onclose((_conn, reason, code) => void seen.push(`close:${code}:${reason}`));
  return { app, seen };
}

describe("the README example", () => {
  it("rejects without a user, greets with one", async () => {
    const { app } = readmeApp();
    const rejected = await connect(app, upgradeRequest("/chat/lobby"));
    expect("response" in rejected && rejected.response.status).toBe(403);
    const r = await connect(app, upgradeRequest("/chat/lobby?user=ann"));
    if (!("socket" in r)) throw new Error("rejected");
    await settle();
    expect(r.socket.sent).toEqual(["hello ann"]);
    expect(r.socket.connection.data).toEqual({ user: "ann", room: "lobby" });
  });
});
