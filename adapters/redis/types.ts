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
   * outage kept from other instances, malformed channel messages (rate-bounded: see
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
   * local (`stats.notCarried`) instead of piling up in memory. Default: 16 MiB.
   */
  maxPendingBytes?: number;
  /**
   * Least time between two reports of malformed channel messages, in ms. Anyone who can publish
   * to the Redis channels can send junk at any rate, and one report each would flood `onerror`
   * and the logs. The first malformed message is reported at once; later ones within the
   * interval are only counted, and the first one after it is reported together with how many
   * were dropped unreported since the previous report. No timer is involved: if no malformed
   * message follows, the held-back count is never reported, but every malformed message is
   * always counted in `stats.malformed`. `0` reports every one. Default: 10000.
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
  /** Publishes not carried to other instances because Redis was not reachable. */
  notCarried: number;
  /** Channel messages that were not in Rookery's format, dropped. */
  malformed: number;
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
