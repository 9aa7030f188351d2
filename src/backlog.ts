/**
 * Inbound flow control: how much one connection may have received and not yet handed to its
 * handlers. Handlers of a connection never overlap, so while one is pending, arriving messages
 * wait; without a bound a client that sends faster than the handler settles grows the server
 * without limit.
 */

/** Default `maxBacklog`: 1 MiB of messages waiting behind a pending handler. */
export const DEFAULT_MAX_BACKLOG = 1024 * 1024;

/**
 * What a waiting message costs beyond its payload: its queue entry and the view or string
 * around it. Charged so that a flood of empty messages is bounded too.
 */
export const QUEUED_MESSAGE_OVERHEAD = 128;

/** What `message` counts against the backlog: payload bytes (text: UTF-16 length) plus the overhead. */
export function backlogCost(message: string | Uint8Array): number {
  return (typeof message === "string" ? message.length : message.byteLength) + QUEUED_MESSAGE_OVERHEAD;
}

/**
 * Whether a backlog of `total` bytes, of which `latest` just arrived, is over `bound`. A message
 * that arrives when nothing else waits is always let in (it is bounded by `maxPayload`), so the
 * backlog bound never refuses a message the payload limit allows.
 */
export function overBacklog(total: number, latest: number, bound: number): boolean {
  return total > bound && total > latest;
}

/** The reading side resumes once the backlog is back under half its bound (no pause per message). */
export function mayResume(total: number, bound: number): boolean {
  return total <= bound / 2;
}

/**
 * Whether `bytes` is a view that keeps a buffer more than twice its size alive (a payload cut out
 * of a socket read): worth copying before it is kept for a while.
 */
export function isWastefulView(bytes: Uint8Array): boolean {
  return bytes.buffer.byteLength > 2 * bytes.byteLength + 1024;
}

/** The message of the 1008 failure where the runtime cannot stop reading. */
export function backlogMessage(bound: number): string {
  return `More than ${bound} bytes received and not yet handled: the client sends faster than the server handles`;
}
