/** The public `Connection` object: its id, and the arguments its methods refuse. */
import { describe, expect, it } from "vitest";
import { Rookery } from "../../mod.ts";
import { connect, type MemorySocket, settle, upgradeRequest } from "../support/memory_transport.ts";

async function open(app: Rookery, options: Parameters<typeof connect>[2] = {}): Promise<MemorySocket> {
  const result = await connect(app, upgradeRequest("/c"), options);
  if (!("socket" in result)) throw new Error(`not upgraded: ${result.response.status}`);
  await settle();
  return result.socket;
}

function app(): Rookery {
  const a = new Rookery({ logger: () => {} });
  a.ws("/c");
  return a;
}

describe("conn.id", () => {
  it('is "c" and a counter, different for every connection', async () => {
    const a = app();
    const ids = [(await open(a)).connection.id, (await open(a)).connection.id, (await open(app())).connection.id];
    for (const id of ids) expect(id).toMatch(/^c[1-9]\d*$/);
    expect(new Set(ids).size).toBe(3);
  });
});

describe("conn.close", () => {
  it("without arguments sends 1000 with an empty reason", async () => {
    const s = await open(app(), { echoClose: false });
    s.connection.close();
    expect(s.serverClose).toEqual({ code: 1000, reason: "" });
  });

  it.each([1005, 1006, 1015, 999, 2999, 5000])("refuses %s with a RangeError that names the code", async (code) => {
    const s = await open(app());
    expect(() => s.connection.close(code)).toThrow(new RangeError(`Close code must be 1000-1003, 1007-1014 or 3000-4999, got ${code}`));
    expect(s.serverClose).toBeUndefined();
  });
});

describe("conn.send", () => {
  it("refuses a value that is neither text nor bytes with a TypeError that names its type", async () => {
    const s = await open(app());
    expect(() => s.connection.send(42 as never)).toThrow(new TypeError("A message is a string or bytes, got number"));
    expect(() => s.connection.send({} as never)).toThrow(/got object/);
    expect(s.sent).toEqual([]);
  });
});

describe("topic arguments", () => {
  it.each([
    ["an empty string", "", '""'],
    ["a number", 42, "42"],
    ["null", null, "null"],
  ])("%s is refused with a TypeError that shows it", async (_name, topic, shown) => {
    const s = await open(app());
    const message = `A topic is a non-empty string, got ${shown}`;
    expect(() => s.connection.subscribe(topic as never)).toThrow(new TypeError(message));
    expect(() => s.connection.unsubscribe(topic as never)).toThrow(new TypeError(message));
    expect(() => s.connection.publish(topic as never, "x")).toThrow(new TypeError(message));
    expect(s.connection.topics).toEqual([]);
  });
});
