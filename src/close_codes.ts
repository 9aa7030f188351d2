import { utf8Length } from "./limits.ts";

/**
 * WebSocket close codes (RFC 6455 §7.4.1) that Rookery sends or reports.
 *
 * @example
 * ```ts
 * conn.close(CloseCode.NORMAL, "bye");
 * ```
 */
export const CloseCode = {
  /** Normal closure: the purpose of the connection was fulfilled. */
  NORMAL: 1000,
  /** The endpoint is going away (server shutdown, idle timeout). */
  GOING_AWAY: 1001,
  /** The peer broke RFC 6455 (bad framing, unmasked frame, bad close code...). */
  PROTOCOL_ERROR: 1002,
  /** A data type the endpoint cannot accept. */
  UNSUPPORTED_DATA: 1003,
  /** Reported, never sent: the close frame carried no status code. */
  NO_STATUS: 1005,
  /** Reported, never sent: the connection ended without a close frame. */
  ABNORMAL: 1006,
  /** A text message was not valid UTF-8. */
  INVALID_PAYLOAD: 1007,
  /** A message violated the endpoint's policy (origin, slow reader...). */
  POLICY_VIOLATION: 1008,
  /** A message was larger than the effective `maxPayload`. */
  MESSAGE_TOO_BIG: 1009,
  /** The client required an extension the server did not negotiate. */
  MANDATORY_EXTENSION: 1010,
  /** A handler threw or the server hit an unexpected condition. */
  INTERNAL_ERROR: 1011,
} as const;

/** The close reason every shutdown sends with 1001 (`app.close()`, a server handle's `close()`). */
export const SHUTDOWN_REASON = "server shutting down";

/** One of the named {@link CloseCode} values. */
export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode];

/**
 * Whether `code` may appear in a close frame on the wire (RFC 6455 §7.4.1 and the IANA
 * registry): 1000-1003, 1007-1014, and the 3000-4999 ranges for libraries and applications.
 * 1004, 1005, 1006 and 1015 are reserved for reporting and must never be sent.
 */
export function isWireCloseCode(code: number): boolean {
  return (
    Number.isInteger(code) &&
    ((code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999))
  );
}

/** Cuts a close reason to the 123 bytes a close frame allows, on a character boundary. */
export function fitReason(reason: string): string {
  if (utf8Length(reason) <= 123) return reason;
  let out = "";
  for (const ch of reason) {
    if (utf8Length(out + ch) > 120) return `${out}...`;
    out += ch;
  }
  return out;
}
