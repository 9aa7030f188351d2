/** The subscription bookkeeping of the Redis broker, against scripted commands (no Redis). */
import { describe, expect, it } from "vitest";
import { TopicSubscriptions } from "../../adapters/redis/subscriptions.ts";

/** Commands that settle only when the test says so, recording what was sent. */
function scripted() {
  const sent: string[] = [];
  const pending: { settle: (ok: boolean) => void }[] = [];
  const command = (name: string) => (topic: string) =>
    new Promise<void>((resolve, reject) => {
      sent.push(`${name} ${topic}`);
      pending.push({ settle: (ok) => (ok ? resolve() : reject(new Error("connection lost"))) });
    });
  const failures: string[] = [];
  const subs = new TopicSubscriptions({ subscribe: command("SUB"), unsubscribe: command("UNSUB") }, (_e, topic) => failures.push(topic));
  /** Settles the oldest command in flight and lets its follow-up run. */
  const reply = async (ok = true) => {
    pending.shift()!.settle(ok);
    await new Promise((r) => setTimeout(r, 0));
  };
  return { subs, sent, pending, failures, reply };
}

describe("TopicSubscriptions", () => {
  it("a leave-join-leave burst during a SUBSCRIBE ends unsubscribed, one command at a time", async () => {
    const { subs, sent, pending, reply } = scripted();
    subs.want("t");
    subs.drop("t");
    subs.want("t");
    subs.drop("t");
    expect(sent).toEqual(["SUB t"]);
    await reply();
    expect(sent).toEqual(["SUB t", "UNSUB t"]);
    await reply();
    expect(pending).toEqual([]);
    expect(subs.isActive("t")).toBe(false);
  });

  it("a burst that ends wanted leaves exactly one subscription", async () => {
    const { subs, sent, reply } = scripted();
    subs.want("t");
    await reply();
    subs.drop("t");
    subs.want("t");
    subs.drop("t");
    subs.want("t");
    expect(sent).toEqual(["SUB t", "UNSUB t"]);
    await reply();
    expect(sent).toEqual(["SUB t", "UNSUB t", "SUB t"]);
    await reply();
    expect(subs.isActive("t")).toBe(true);
  });

  it("a command lost with the connection is re-issued by resync(), and only what differs", async () => {
    const { subs, sent, failures, reply } = scripted();
    subs.want("a");
    subs.want("b");
    await reply(true); // a confirmed
    await reply(false); // b lost in flight
    expect(failures).toEqual(["b"]);
    expect([subs.isActive("a"), subs.isActive("b")]).toEqual([true, false]);
    subs.resync();
    expect(sent).toEqual(["SUB a", "SUB b", "SUB b"]);
    await reply();
    expect(subs.isActive("b")).toBe(true);
  });

  it("an UNSUBSCRIBE lost in flight is sent again on resync()", async () => {
    const { subs, sent, reply } = scripted();
    subs.want("t");
    await reply();
    subs.drop("t");
    await reply(false);
    subs.resync();
    expect(sent).toEqual(["SUB t", "UNSUB t", "UNSUB t"]);
    await reply();
    subs.resync();
    expect(sent).toHaveLength(3);
  });
});
