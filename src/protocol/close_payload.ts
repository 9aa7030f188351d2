/** Close frame bodies (RFC 6455 §5.5.1): a 2-byte code, then a UTF-8 reason. */
import { CloseCode, isWireCloseCode } from "../close_codes.ts";
import { WebSocketError } from "../errors.ts";

const EMPTY: Uint8Array = new Uint8Array(0);
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Encodes a close body; 1005 (no status) encodes as an empty body. */
export function encodeClosePayload(code: number, reason = ""): Uint8Array {
  if (code === CloseCode.NO_STATUS) return EMPTY;
  const text = encoder.encode(reason);
  const out = new Uint8Array(2 + text.byteLength);
  out[0] = code >> 8;
  out[1] = code & 0xff;
  out.set(text, 2);
  return out;
}

/**
 * Decodes a received close body. An empty body means 1005. A 1-byte body or a code that may
 * not be sent is a protocol error (1002); a reason that is not UTF-8 is 1007 (§8.1).
 */
export function decodeClosePayload(payload: Uint8Array): { code: number; reason: string } | WebSocketError {
  if (payload.byteLength === 0) return { code: CloseCode.NO_STATUS, reason: "" };
  if (payload.byteLength === 1) return new WebSocketError(CloseCode.PROTOCOL_ERROR, "Close frame with a 1-byte body");
  const code = (payload[0]! << 8) | payload[1]!;
  if (!isWireCloseCode(code)) {
    return new WebSocketError(CloseCode.PROTOCOL_ERROR, `Close frame with invalid code ${code}`);
  }
  try {
    return { code, reason: decoder.decode(payload.subarray(2)) };
  } catch {
    return new WebSocketError(CloseCode.INVALID_PAYLOAD, "Close reason is not valid UTF-8");
  }
}
