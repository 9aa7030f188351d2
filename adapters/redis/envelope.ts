/**
 * The bytes a Rookery instance puts on a Redis channel: a 10-byte header, then the message.
 *
 *   byte 0      format version, 1
 *   byte 1      0x74 ("t"): text, the payload is UTF-8; 0x62 ("b"): binary, the payload as is
 *   bytes 2-9   the publishing instance's id, so an instance can drop its own echo
 *   bytes 10-   the payload
 *
 * Another service can publish into a room by writing this format (any id that is not an
 * instance's own).
 */
import { utf8Length } from "../../src/limits.ts";

const VERSION = 1;
const TEXT = 0x74;
const BINARY = 0x62;
/** Length of the instance id inside the header. */
export const ID_BYTES = 8;
/** Bytes before the payload. */
export const HEADER_BYTES = 2 + ID_BYTES;

const encoder = new TextEncoder();
// ignoreBOM: a leading U+FEFF is part of the message, as it is for local subscribers.
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** A new random instance id. */
export function newInstanceId(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(ID_BYTES));
}

/** Wraps `message` for the channel, tagged with `instance`. */
export function encodeEnvelope(instance: Uint8Array, message: string | Uint8Array): Uint8Array {
  const text = typeof message === "string";
  const out = new Uint8Array(HEADER_BYTES + (text ? utf8Length(message) : message.byteLength));
  out[0] = VERSION;
  out[1] = text ? TEXT : BINARY;
  out.set(instance, 2);
  if (text) encoder.encodeInto(message, out.subarray(HEADER_BYTES));
  else out.set(message, HEADER_BYTES);
  return out;
}

/** What `decodeEnvelope` found on the channel. */
export type Envelope =
  | { kind: "message"; from: Uint8Array; message: string | Uint8Array }
  | { kind: "malformed"; why: string }
  | { kind: "oversized"; why: string };

/**
 * Unwraps a channel message. A payload over `maxPayload` bytes is refused before anything is
 * decoded or copied. A binary payload is a plain `Uint8Array` copy, never a view of `bytes`:
 * node-redis hands over a `Buffer` view of a whole socket read, which a view would keep alive
 * (and a `Buffer` is not what every other Rookery message is).
 */
export function decodeEnvelope(bytes: Uint8Array, maxPayload = Infinity): Envelope {
  if (bytes.byteLength - HEADER_BYTES > maxPayload) {
    return { kind: "oversized", why: `its payload of ${bytes.byteLength - HEADER_BYTES} bytes is over maxMessageBytes (${maxPayload})` };
  }
  if (bytes.byteLength < HEADER_BYTES) return { kind: "malformed", why: `${bytes.byteLength} bytes is shorter than the header` };
  if (bytes[0] !== VERSION) return { kind: "malformed", why: `unknown format version ${bytes[0]}` };
  const from = bytes.subarray(2, HEADER_BYTES);
  const payload = bytes.subarray(HEADER_BYTES);
  // Not payload.slice(): on a Buffer that is a view of the same memory, and a Buffer.
  if (bytes[1] === BINARY) return { kind: "message", from, message: new Uint8Array(payload) };
  if (bytes[1] !== TEXT) return { kind: "malformed", why: `unknown message kind ${bytes[1]}` };
  try {
    return { kind: "message", from, message: decoder.decode(payload) };
  } catch {
    return { kind: "malformed", why: "text payload is not valid UTF-8" };
  }
}

/** Whether two instance ids are the same. */
export function sameInstance(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}
