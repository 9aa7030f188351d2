/** `redisBroker`'s options with their defaults applied, validated once at construction. */
import { checkPayloadLimit } from "../../src/limits.ts";
import { HEADER_BYTES } from "./envelope.ts";
import type { RedisBrokerOptions } from "./types.ts";

/**
 * Default `maxMessageBytes`: 1 MiB. A fixed value rather than the app's largest route
 * `maxPayload`: the broker is built before the app and cannot see it, route limits bound what
 * clients send rather than what the server publishes, and the app's default (64 MiB) would
 * bound nothing a hostile publisher needs. See `RedisBrokerOptions.maxMessageBytes`.
 */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;
/** Default `maxPendingBytes`: 16 MiB. */
export const DEFAULT_MAX_PENDING_BYTES = 16 * 1024 * 1024;

export interface ResolvedOptions {
  url: string;
  prefix: string;
  maxReconnectDelay: number;
  maxPendingBytes: number;
  maxMessageBytes: number;
  reportInterval: number;
}

/** Applies the defaults; throws a `RangeError` naming the option for a value out of range. */
export function resolveOptions(options: RedisBrokerOptions): ResolvedOptions {
  const maxReconnectDelay = options.maxReconnectDelay ?? 1000;
  if (!(maxReconnectDelay > 0)) throw new RangeError(`maxReconnectDelay must be a positive number of ms, got ${maxReconnectDelay}`);
  const maxPendingBytes = options.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES;
  if (!(maxPendingBytes > HEADER_BYTES)) {
    throw new RangeError(`maxPendingBytes must be over ${HEADER_BYTES} (the envelope header), got ${maxPendingBytes}`);
  }
  // A publish that passes maxMessageBytes must fit the pending bound on its own, or it could
  // never be sent (and would be reported as Redis not answering): the default gives way to a
  // smaller maxPendingBytes; a value set for both that cannot hold is refused.
  const fitsPending = Math.max(0, Math.floor(maxPendingBytes - HEADER_BYTES));
  const maxMessageBytes = checkPayloadLimit(options.maxMessageBytes ?? Math.min(DEFAULT_MAX_MESSAGE_BYTES, fitsPending), "maxMessageBytes");
  if (maxMessageBytes + HEADER_BYTES > maxPendingBytes) {
    throw new RangeError(
      `maxMessageBytes (${maxMessageBytes}) must be at most maxPendingBytes (${maxPendingBytes}) minus the ${HEADER_BYTES}-byte envelope header, or no publish that size could be sent: raise maxPendingBytes too`,
    );
  }
  const reportInterval = options.malformedReportInterval ?? 10_000;
  if (!(reportInterval >= 0)) throw new RangeError(`malformedReportInterval must be a number of ms, 0 or more, got ${reportInterval}`);
  return {
    url: options.url ?? "redis://127.0.0.1:6379",
    prefix: options.prefix ?? "rookery:",
    maxReconnectDelay,
    maxPendingBytes,
    maxMessageBytes,
    reportInterval,
  };
}
