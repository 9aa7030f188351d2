/** The public types of the Redis broker (`rookery/redis`). */
import type { Broker } from "../../src/broker.ts";

/** Options for `redisBroker`. */
export interface RedisBrokerOptions {
  /** The Redis server. Default: `redis://127.0.0.1:6379`. */
  url?: string;
  /** Prepended to every topic to name its Redis channel. Default: `"rookery:"`. */
  prefix?: string;
  /**
   * Receives the broker's failures: Redis unreachable (once per outage), the first publish an
   * outage kept from other instances, malformed or oversized channel messages and publishes over
   * {@link RedisBrokerOptions.maxMessageBytes} (these three rate-bounded: see
   * {@link RedisBrokerOptions.malformedReportInterval}). Default: the app's logger.
   */
  onerror?: (error: Error) => void;
  /** Receives every change of {@link RedisBroker.status}. */
  onstatus?: (status: RedisBrokerStatus) => void;
  /** Longest wait between reconnection attempts, in ms. Default: 1000. */
  maxReconnectDelay?: number;
  /**
   * Bytes of publishes that may wait for Redis's answer. A Redis that stops answering without
   * closing the connection looks connected until TCP gives up; past this bound, publishes stay
   * local (`stats.notCarried`) instead of piling up in memory. It must hold one message of
   * {@link RedisBrokerOptions.maxMessageBytes} plus its 10-byte header: a smaller value lowers
   * `maxMessageBytes`'s default to fit, and one that cannot hold a `maxMessageBytes` set
   * explicitly is a `RangeError`. Default: 16 MiB.
   */
  maxPendingBytes?: number;
  /**
   * Bytes one message may have on the Redis channel (its payload: UTF-8 bytes for text), in
   * both directions. Anyone who can publish to the channels can send a message of any size
   * (Redis allows 512 MB), and every local subscriber of the topic takes its own copy of it
   * (the slow-reader bound is checked before a send, so it lets one message of any size
   * through): one 20 MiB message to 20 subscribers cost 440-840 MiB.
   * A larger message from Redis is dropped before it is decoded or delivered, counted in
   * `stats.oversized` and reported like malformed ones (rate-bounded). A larger local publish
   * still reaches this instance's subscribers but is not sent to Redis, where every instance
   * with the same bound would drop it: it is counted in `stats.notCarried` and reported
   * (rate-bounded). Give every instance the same value.
   *
   * The default is fixed, not the app's largest route `maxPayload`: the broker cannot see the
   * app, route limits bound what clients send rather than what the server publishes, and the
   * app's default (64 MiB) would bound nothing. 1 MiB is ample for chat and notification
   * traffic, matches `maxBacklog`'s default and Socket.IO's default message limit (1 MB), and
   * stays well under Redis's own pub/sub output limit (`client-output-buffer-limit pubsub 32mb
   * 8mb 60`: a larger message or backlog drops the listening connection). Raise it (and
   * `maxPendingBytes` past 16 MiB) when rooms carry larger messages. A whole number of bytes, or
   * `Infinity` for no bound; anything else, or more than `maxPendingBytes` minus 10, is a
   * `RangeError`. Default: 1 MiB (1,048,576), or `maxPendingBytes` minus 10 if that is smaller.
   */
  maxMessageBytes?: number;
  /**
   * Least time between two reports of malformed channel messages, in ms. Anyone who can publish
   * to the Redis channels can send junk at any rate, and one report each would flood `onerror`
   * and the logs. The first malformed message is reported at once; later ones within the
   * interval are only counted, and the first one after it is reported together with how many
   * were dropped unreported since the previous report. No timer is involved: if no malformed
   * message follows, the held-back count is never reported, but every malformed message is
   * always counted in `stats.malformed`. Oversized channel messages and local publishes over
   * `maxMessageBytes` are bounded the same way, each kind on its own. `0` reports every one.
   * Default: 10000.
   */
  malformedReportInterval?: number;
}

/**
 * - `"connecting"`: not connected yet;
 * - `"ready"`: publishes reach other instances;
 * - `"down"`: Redis was lost; reconnecting, publishes stay local until it is back;
 * - `"closed"`: `close()` was called.
 */
export type RedisBrokerStatus = "connecting" | "ready" | "down" | "closed";

/** Counters since the broker was created (live: the same object, updated as things happen). */
export interface RedisBrokerStats {
  /** Publishes handed to Redis. */
  published: number;
  /** Messages from other instances delivered here. */
  received: number;
  /**
   * Publishes not carried to other instances: Redis not reachable or not answering
   * (`maxPendingBytes`), or the message over `maxMessageBytes`.
   */
  notCarried: number;
  /** Channel messages that were not in Rookery's format, dropped. */
  malformed: number;
  /** Channel messages over `maxMessageBytes`, dropped unread. */
  oversized: number;
}

/** The broker `redisBroker` returns: a {@link Broker} plus its connection state. */
export interface RedisBroker extends Broker {
  /** This instance's id (hex), carried in every message it publishes. */
  readonly instanceId: string;
  /** Where the connection to Redis stands now (see {@link RedisBrokerStatus}). */
  readonly status: RedisBrokerStatus;
  /** Live counters since the broker was created. */
  readonly stats: Readonly<RedisBrokerStats>;
  /**
   * Resolves once both Redis connections are up (the first time; it waits through retries).
   * Rejects if `close()` is called before that.
   */
  ready(): Promise<void>;
  /**
   * Closes both Redis connections (waiting at most about a second for Redis). The app's topics
   * are local from then on. A reconnection attempt already scheduled may keep the process alive
   * for up to `maxReconnectDelay` after this resolves.
   */
  close(): Promise<void>;
}
