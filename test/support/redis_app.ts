/**
 * App instances sharing topics through a Redis broker, served by the Node adapter in the test
 * process, and undici WebSocket clients for them.
 */
import { createClient } from "redis";
import { WebSocket } from "undici";
import { afterAll, beforeAll } from "vitest";
import { type PrivateRedis, startRedis } from "../../scripts/redis_server.ts";
import { Rookery } from "../../mod.ts";
import { serve, type ServerHandle } from "../../adapters/node.ts";
import { type RedisBroker, redisBroker } from "../../adapters/redis.ts";

export interface Client {
  ws: WebSocket;
  got: (string | number[])[];
  closed: boolean;
}

/** An undici WebSocket client on `path`: text arrives as strings, binary as arrays of bytes. */
export async function client(port: number, path = "/room"): Promise<Client> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`);
  ws.binaryType = "arraybuffer";
  const c: Client = { ws, got: [], closed: false };
  ws.onmessage = (e) => c.got.push(typeof e.data === "string" ? e.data : [...new Uint8Array(e.data as ArrayBuffer)]);
  ws.onclose = () => (c.closed = true);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  return c;
}

export async function until(check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check()) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
}

export interface Instance {
  app: Rookery;
  broker: RedisBroker;
  server: ServerHandle;
  errors: string[];
}

/**
 * An app whose /room connections join "lobby". Messages: "all:X" publishes X app-wide,
 * "join:T" subscribes to T, "to:T:X" publishes X to T; anything else goes to the others in "lobby".
 */
export async function instance(url: string, prefix: string): Promise<Instance> {
  const errors: string[] = [];
  const broker = redisBroker({ url, prefix, onerror: (e) => errors.push(e.message) });
  const app = new Rookery({ broker });
  app
    .ws("/room")
    .onopen((conn) => conn.subscribe("lobby"))
    .onmessage((conn, message) => {
      const [verb, topic, ...rest] = typeof message === "string" ? message.split(":") : [];
      if (verb === "all") app.publish("lobby", message.slice(4) as string);
      else if (verb === "join") conn.subscribe(topic!);
      else if (verb === "to") conn.publish(topic!, rest.join(":"));
      else conn.publish("lobby", message);
    });
  await broker.ready();
  return { app, broker, server: await serve(app, { hostname: "127.0.0.1", port: 0 }), errors };
}

/** How many Redis connections listen to `channel`. */
export async function listenerCount(probe: { pubSubNumSub(channel: string): Promise<unknown> }, channel: string): Promise<number> {
  const counts = (await probe.pubSubNumSub(channel)) as Record<string, number>;
  return Number(counts[channel] ?? 0);
}

/** Stops an instance's server, then its broker. */
export async function stopInstance(i: Instance): Promise<void> {
  await i.server.close();
  await i.broker.close();
}

/**
 * A text message as another service would publish it into a room, built by hand from the format
 * the README documents (version 1, "t", an 8-byte id no instance has, UTF-8), not with Rookery's
 * own encoder.
 */
export function foreignText(text: string): Buffer {
  return Buffer.concat([Buffer.from([1, 0x74]), Buffer.alloc(8), Buffer.from(text)]);
}

/** A plain node-redis client, for a test to publish and inspect with. */
export type Probe = ReturnType<typeof createClient>;

/**
 * A private redis-server for the test file, and a probe client to it: started before the file's
 * tests (handed to `use`), stopped after them.
 */
export function usePrivateRedis(use: (redis: PrivateRedis, probe: Probe) => void): void {
  let redis: PrivateRedis | undefined;
  let probe: Probe | undefined;
  beforeAll(async () => {
    redis = await startRedis();
    probe = createClient({ url: redis.url });
    probe.on("error", () => {});
    await probe.connect();
    use(redis, probe);
  });
  afterAll(async () => {
    probe?.destroy();
    await redis?.stop();
  });
}
