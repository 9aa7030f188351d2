/**
 * The seam between one app's topics and the other instances of it (processes, machines,
 * runtimes). The core only knows this interface; `rookery/redis` implements it.
 */
import type { Logger } from "./logger.ts";

/** What an app hands its broker when the broker starts serving it. */
export interface BrokerHost {
  /**
   * Delivers a message another instance published to every local subscriber of `topic`.
   * The publishing connection lives on that other instance, so nobody here is excluded.
   */
  deliver(topic: string, message: string | Uint8Array): void;
  /** The app's logger, for brokers that have no error sink of their own. */
  readonly log: Logger;
}

/**
 * Carries topic messages between instances of an app. Set it with `new Rookery({ broker })`.
 *
 * The app calls `subscribe` when a topic gets its first local subscriber and `unsubscribe`
 * when it loses its last one, so a broker only listens to topics someone here wants. Every
 * `app.publish` and `conn.publish` is delivered locally first and then handed to `publish`;
 * the broker must not hand it back to this instance (its own echo), or local subscribers
 * would get it twice.
 *
 * None of these methods may throw or block: a broker reports its own failures (the app logs
 * anything thrown and carries on).
 */
export interface Broker {
  /** Called once, by the app the broker is given to. */
  start(host: BrokerHost): void;
  /** `topic` has its first subscriber on this instance. */
  subscribe(topic: string): void;
  /** `topic` has no subscriber left on this instance. */
  unsubscribe(topic: string): void;
  /** Carries a message published on this instance to every other instance. */
  publish(topic: string, message: string | Uint8Array): void;
}

/** Throws a `TypeError` unless `broker` has the four {@link Broker} methods. */
export function checkBroker(broker: Broker): Broker {
  for (const method of ["start", "subscribe", "unsubscribe", "publish"] as const) {
    if (typeof broker?.[method] !== "function") {
      throw new TypeError(`broker must have a ${method}() method (see the Broker interface)`);
    }
  }
  return broker;
}
