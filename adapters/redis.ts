/**
 * A Redis pub/sub broker: topics shared by every instance of an app, across processes,
 * machines and runtimes (Node, Deno and Bun all run the official `redis` client).
 *
 * @example
 * ```ts
 * import { Rookery } from "rookery";
 * import { redisBroker } from "rookery/redis";
 *
 * const broker = redisBroker({ url: "redis://127.0.0.1:6379" });
 * const app = new Rookery({ broker });
 * await broker.ready();
 * ```
 *
 * `redis` is an optional peer dependency of the package: install it next to Rookery to use
 * this entry point. Nothing else in Rookery loads it.
 *
 * @module
 */
import type { Broker } from "../src/broker.ts";
import { RedisPubSub } from "./redis/pubsub.ts";
import type { RedisBroker, RedisBrokerOptions } from "./redis/types.ts";

export type { Broker };
export type { RedisBroker, RedisBrokerOptions, RedisBrokerStats, RedisBrokerStatus } from "./redis/types.ts";

/**
 * A {@link Broker} on Redis pub/sub. It opens two connections (one publishes, one listens),
 * listens to a topic's channel only while this instance has a subscriber of it, drops its own
 * echoes by instance id, and reconnects and resubscribes after Redis restarts. While Redis is
 * unreachable, publishes reach local subscribers only and are counted in `stats.notCarried`.
 * Messages are bounded both ways by `maxMessageBytes` (default 1 MiB): a larger one from Redis
 * is dropped unread (`stats.oversized`), a larger local publish stays on this instance.
 */
export function redisBroker(options: RedisBrokerOptions = {}): RedisBroker {
  return new RedisPubSub(options);
}
