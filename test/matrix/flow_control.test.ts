/**
 * Inbound flow control on every runtime: a client floods 1 KiB frames at a handler that is
 * slower (5 ms a message) or never settles. The server's memory (heap and array buffers, after
 * a forced GC) stays bounded and other clients are served meanwhile. Node stops reading the
 * socket (TCP pushes back on the client) and delivers everything in order once the handler
 * catches up; Deno and Bun cannot stop reading, so the flooder gets 1008.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, type Runtime, startServer } from "../../scripts/spawn_server.ts";
import { flood } from "../support/flood.ts";
import { clientFrame, closeBody, RawClient } from "../support/raw_client.ts";

/** Growth allowed while a flood is held back (the default bound is 1 MiB; unbounded, it was 600 MiB to 1.2 GB). */
const MEMORY_BOUND = 48 * 1024 * 1024;
/** What a client may offer: far past the bound, so an unbounded server would show it. */
const FLOOD = { maxBytes: 256 * 1024 * 1024, ms: 4000, stallMs: 400 };

describe.each<Runtime>(["node", "deno", "bun"])("inbound flow control on %s", (runtime) => {
  let server: RunningServer;
  let tags = 0;
  const get = async (path: string) => (await fetch(`http://127.0.0.1:${server.port}${path}`)).text();
  const retained = async () => (JSON.parse(await get("/stats")) as { retained: number }).retained;
  const events = async (tag: string) => JSON.parse(await get(`/events?t=${tag}`)) as string[];

  /** A round trip on another connection while the flood is held back. */
  const echoMeanwhile = async () => {
    const other = await RawClient.handshake(server.port, "/echo");
    other.write(clientFrame(1, "still here"));
    await other.until(() => other.frames.length > 0);
    const reply = other.frames[0]!.payload.toString();
    other.destroy();
    return reply;
  };

  beforeAll(async () => {
    server = await startServer(runtime, "test/matrix/fixture_server.ts", { exposeGc: true });
    // Warm up: the code paths a flood takes are loaded before the baseline is read.
    const warm = await RawClient.handshake(server.port, `/slow?t=warm`);
    await flood(warm, { maxBytes: 64 * 1024, ms: 1000, stallMs: 200 });
    warm.destroy();
  }, 30_000);
  afterAll(() => server?.stop());

  it.each(["/slow", "/hold"])("a flood at %s keeps memory bounded and other clients served", async (route) => {
    const tag = `flood-${++tags}`;
    const before = await retained();
    const client = await RawClient.handshake(server.port, `${route}?t=${tag}`);
    expect(client.status).toBe(101);
    const [result, reply] = await Promise.all([flood(client, FLOOD), new Promise((r) => setTimeout(r, 200)).then(echoMeanwhile)]);
    const grown = (await retained()) - before;
    expect(reply).toBe("still here");
    expect(grown).toBeLessThan(MEMORY_BOUND);
    if (runtime === "node") {
      // TCP pushed back: the client could write only what the socket buffers hold.
      expect(result.stalled).toBe(true);
      expect(result.offered).toBeLessThan(FLOOD.maxBytes);
      expect(client.close).toBeUndefined();
      expect(await events(tag)).toEqual(["open"]);
    } else {
      // Bun sends 1008; Deno resets a connection that goes on sending after the server's close
      // frame, so the flooder may never read that frame (README, "Runtime differences").
      await client.until(() => client.close !== undefined || client.ended, 5000);
      if (runtime === "bun" || client.close) expect(client.close).toEqual({ code: 1008, reason: expect.stringMatching(/^More than 1048576 bytes received and not yet handled/) });
      // A held handler holds back onerror and onclose (handlers never overlap): let it go, and
      // the messages that waited within the bound come first, then the failure.
      await get(`/release?t=${tag}`);
      const deadline = Date.now() + 15_000;
      while (!(await events(tag)).some((e) => e.startsWith("close:")) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(await events(tag)).toEqual(["open", "error:1008:PolicyViolationError", "close:1008"]);
    }
    client.destroy();
    expect(server.child.exitCode).toBeNull();
  }, 30_000);

  // Only Node's socket can stop reading; elsewhere the flooder is cut off (above).
  if (runtime === "node") it("a paused client that stops flooding gets every message delivered in order", async () => {
    const tag = `ordered-${++tags}`;
    const client = await RawClient.handshake(server.port, `/hold?t=${tag}`);
    const result = await flood(client, FLOOD);
    expect(result.stalled).toBe(true);
    // Far more than the backlog bound waits in the socket buffers and the kernel.
    expect(result.offered).toBeGreaterThan(2 * 1024 * 1024);
    client.write(clientFrame(1, "report"));
    await get(`/release?t=${tag}`);
    await client.until(() => client.frames.length > 0, 20_000);
    expect(client.frames[0]!.payload.toString()).toBe(`got:${result.frames}:true`);
    client.write(clientFrame(8, closeBody(1000)));
    expect((await client.closed())?.code).toBe(1000);
    expect(await events(tag)).toEqual(["open", "close:1000"]);
  }, 30_000);
});

describe("inbound flow control on node with a 1 s idle timeout", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer("node", "test/matrix/fixture_server.ts", { args: ["--idle", "1"] });
  }, 30_000);
  afterAll(() => server?.stop());

  it("a paused connection is not idle: the silence is the server's, so it is not dropped", async () => {
    const client = await RawClient.handshake(server.port, "/hold?t=idle-paused");
    const result = await flood(client, FLOOD);
    expect(result.stalled).toBe(true);
    // More than twice the idle timeout with reading paused behind the held handler.
    await new Promise((r) => setTimeout(r, 3500));
    expect(client.ended).toBe(false);
    expect(client.close).toBeUndefined();
    client.write(clientFrame(1, "report"));
    await fetch(`http://127.0.0.1:${server.port}/release?t=idle-paused`);
    await client.until(() => client.frames.some((f) => f.opcode === 1), 20_000);
    expect(client.frames.find((f) => f.opcode === 1)!.payload.toString()).toBe(`got:${result.frames}:true`);
    client.destroy();
  }, 40_000);
});

