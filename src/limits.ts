/**
 * Validates a `maxPayload` value at registration time: a non-negative integer number of
 * bytes, or `Infinity` for "no limit". Throws a `RangeError` naming `where` otherwise.
 */
export function checkPayloadLimit(value: number, where: string): number {
  if (typeof value !== "number" || Number.isNaN(value) || value < 0) {
    throw new RangeError(`${where} must be a non-negative number of bytes or Infinity, got ${String(value)}`);
  }
  if (value !== Infinity && !Number.isSafeInteger(value)) {
    throw new RangeError(`${where} must be a whole number of bytes, got ${value}`);
  }
  return value;
}

/**
 * Default `maxPayload`: 64 MiB. Crow has no default limit; Rookery has one for the reason it
 * enforces masking (one client must not take a process down), and 64 MiB is Deno's ceiling, so
 * all three runtimes agree.
 */
export const DEFAULT_MAX_PAYLOAD = 64 * 1024 * 1024;

/** Default `closeTimeout`: milliseconds a server-side close waits for the peer's answer. */
export const DEFAULT_CLOSE_TIMEOUT = 5000;

/**
 * Shutdown waits this much past `closeTimeout`, so each connection's own close timer (which ends
 * a silent peer) has fired before shutdown gives up on it.
 */
export const SHUTDOWN_MARGIN = 1000;

/** Default `maxFragments`: data frames one message may come in (ws closes at the same count). */
export const DEFAULT_MAX_FRAGMENTS = 16 * 1024;

/**
 * The limit a route enforces: its own if set, else the app's, else {@link DEFAULT_MAX_PAYLOAD}.
 * `Infinity` is Crow's unlimited; on a route it plays the part of Crow's `UINT64_MAX` and
 * disables the app limit.
 */
export function effectivePayloadLimit(route: number | undefined, app: number | undefined): number {
  return route ?? app ?? DEFAULT_MAX_PAYLOAD;
}

/** Validates a `maxFragments` value: a whole number from 1, or `Infinity`. */
export function checkFragments(value: number, where: string): number {
  if (typeof value !== "number" || !(value >= 1) || (value !== Infinity && !Number.isSafeInteger(value))) {
    throw new RangeError(`${where} must be a whole number of fragments from 1, or Infinity, got ${String(value)}`);
  }
  return value;
}

/**
 * Whether a message is over `limit` bytes. Strings are measured as UTF-8 without encoding
 * them when their UTF-16 length already decides it (UTF-8 uses 1 to 3 bytes per UTF-16 unit).
 */
export function exceedsLimit(message: string | Uint8Array, limit: number): boolean {
  if (limit === Infinity) return false;
  if (typeof message !== "string") return message.byteLength > limit;
  if (message.length > limit) return true;
  if (message.length * 3 <= limit) return false;
  return utf8Length(message) > limit;
}

/** The UTF-8 byte length of `s`, counted without allocating. */
export function utf8Length(s: string): number {
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/** The message of a 1009 failure, the same whichever layer (codec or core) finds it. */
export function tooBigMessage(limit: number): string {
  // An unlimited route still meets the runtime's own ceiling (Bun's 2^32 bytes, Deno's 64 MiB).
  return limit === Infinity ? "Message over the largest the runtime takes (the route sets no limit)" : `Message over the limit of ${limit} bytes`;
}

/** Validates a `slowReader` policy. */
export function checkSlowReader(policy: string): "close" | "drop" {
  if (policy !== "close" && policy !== "drop") throw new TypeError(`slowReader must be "close" or "drop", got ${JSON.stringify(policy)}`);
  return policy;
}

/**
 * Validates an `allowedOrigins` value: a predicate, or a list of serialized origins
 * (`scheme://host[:port]`, no path); returns it with list entries lower-cased.
 */
export function checkOrigins<T extends readonly string[] | ((...args: never[]) => boolean)>(policy: T, where: string): T {
  if (typeof policy === "function") return policy;
  if (!Array.isArray(policy)) throw new TypeError(`${where} must be a list of origins or a function`);
  return policy.map((origin: unknown) => {
    let parsed: URL | undefined;
    try {
      parsed = typeof origin === "string" ? new URL(origin) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!parsed || parsed.origin === "null" || parsed.origin !== String(origin).toLowerCase().replace(/\/$/, "")) {
      throw new TypeError(`${where}: ${JSON.stringify(origin)} is not an origin like "https://example.com"`);
    }
    return parsed.origin;
  }) as unknown as T;
}

/** Validates an `idleTimeout`: a non-negative number of seconds (0: off), at most 960 (Bun's ceiling). */
export function checkIdleTimeout(seconds: number, where: string): number {
  if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0 || seconds > 960) {
    throw new RangeError(`${where} must be a number of seconds from 0 (off) to 960, got ${String(seconds)}`);
  }
  return seconds;
}

/** The default `idleTimeout`, in seconds. */
export const DEFAULT_IDLE_TIMEOUT = 120;
