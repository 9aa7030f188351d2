/**
 * The slow-reader policy (`maxBufferedAmount`, `slowReader`) on Bun, where publishes go through
 * Bun's native pub/sub and so never meet the core's check before each send.
 *
 * Measured on Bun 1.4.5: with `closeOnBackpressureLimit`, Bun closes a socket it has dropped a
 * send for, later, as a plain drop (its `close` handler gets 1006 and no reason, like a TCP
 * reset, and the peer gets no close frame), so the cause cannot be told apart. So Bun is never
 * left to close: its per-server `backpressureLimit` is the largest bound of any route (past it Bun
 * only drops), and after a publish that Bun reports as backpressured or dropped for any
 * subscriber, each of the topic's subscribers gets its own route's check, as a send would.
 * @module
 */
import type { Rookery } from "../../src/app.ts";
import { DEFAULT_MAX_BUFFERED, settingsOf } from "../../src/connection_settings.ts";
import type { NativeServer } from "../../src/topics.ts";

/** A Rookery socket as the check after a publish needs it (its `ws.data`). */
export interface Subscriber {
  /** Applies the connection's slow-reader policy when its send buffer is over its route's bound. */
  checkSendBuffer(): void;
}

/**
 * The largest `backpressureLimit` Bun accepts (it must be an integer: 2^51 throws, measured), and
 * the one that means none (Bun ignores a limit of 0).
 */
const BUN_MAX_BACKPRESSURE = 2 ** 51 - 1;
const BUN_NO_BACKPRESSURE_LIMIT = 0;

/**
 * Bun's per-server `backpressureLimit` for `app`: the largest effective `maxBufferedAmount` of its
 * routes and of the app (which routes added later inherit), so that Bun never drops what a route's
 * own bound still allows; none when one is `Infinity`.
 */
export function bunBufferLimit(app: Rookery): number {
  const bounds = app.routes.values().map((route) => settingsOf(route, app).maxBufferedAmount);
  const largest = Math.max(app.options.maxBufferedAmount ?? DEFAULT_MAX_BUFFERED, ...bounds);
  if (largest === Infinity || largest > BUN_MAX_BACKPRESSURE) return BUN_NO_BACKPRESSURE_LIMIT;
  // 0 would be Bun's "no limit": a bound of 0 (every backlog is too much) is Bun's 1.
  return Math.max(1, largest);
}

/** Per server: each topic's Rookery subscribers (sockets the user's own code upgraded are not counted). */
const subscribers = new WeakMap<NativeServer, Map<string, Set<Subscriber>>>();

/** Counts (or stops counting) `subscriber` among the subscribers of `topic` on `server`. */
export function track(server: NativeServer, topic: string, subscriber: Subscriber, subscribed: boolean): void {
  let topics = subscribers.get(server);
  if (!topics) subscribers.set(server, (topics = new Map()));
  let set = topics.get(topic);
  if (subscribed) {
    if (!set) topics.set(topic, (set = new Set()));
    set.add(subscriber);
  } else if (set?.delete(subscriber) && set.size === 0) {
    topics.delete(topic);
  }
}

/**
 * After Bun published to `topic` on `server` with `result` (measured on Bun 1.4.5: -1 when the
 * message was queued with backpressure for any subscriber, 0 when it was dropped for any, or
 * nobody subscribed; otherwise the bytes sent): checks the topic's subscribers other than `sender`.
 * A message that leaves a buffer over a bound is always reported so, as the buffer is then not
 * empty; so the check costs nothing while every subscriber keeps up, and otherwise one call per
 * subscriber, against a fan-out Bun did for each of them.
 */
export function published(server: NativeServer, topic: string, result: number, sender?: Subscriber): void {
  if (result > 0) return;
  const set = subscribers.get(server)?.get(topic);
  if (!set) return;
  // A failing subscriber leaves the set inside its check (Bun closes synchronously); a Set's
  // iteration allows that.
  for (const subscriber of set) if (subscriber !== sender) subscriber.checkSendBuffer();
}
