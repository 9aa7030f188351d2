/**
 * Server frames (RFC 6455 §5.2): never masked. One encoder; each frame is returned as its
 * header and payload apart, so a large payload is written without being copied.
 */
import { encodeClosePayload } from "./close_payload.ts";
import { Opcode } from "./opcodes.ts";

const encoder = new TextEncoder();

/**
 * The header of an unmasked, final (FIN) frame carrying `length` payload bytes: the server never
 * fragments. `compressed` sets RSV1, the mark of a permessage-deflate message (RFC 7692 §6).
 */
export function frameHeader(opcode: number, length: number, compressed = false): Uint8Array {
  const first = (compressed ? 0xc0 : 0x80) | opcode;
  if (length < 126) return Uint8Array.of(first, length);
  if (length < 0x10000) return Uint8Array.of(first, 126, length >>> 8, length & 0xff);
  const header = new Uint8Array(10);
  header[0] = first;
  header[1] = 127;
  const view = new DataView(header.buffer);
  view.setUint32(2, Math.floor(length / 0x100000000));
  view.setUint32(6, length >>> 0);
  return header;
}

/** A frame as `[header, payload]`. */
export function frame(opcode: number, payload: Uint8Array): [Uint8Array, Uint8Array] {
  return [frameHeader(opcode, payload.byteLength), payload];
}

// The last text frame encoded: a publish sends one string to every subscriber, so it is
// encoded once. Strings are immutable, so the cache cannot go stale.
let lastText: string | undefined;
let lastTextFrame: [Uint8Array, Uint8Array] | undefined;

/** A text or binary message as one frame. */
export function messageFrame(message: string | Uint8Array): [Uint8Array, Uint8Array] {
  if (typeof message !== "string") return frame(Opcode.BINARY, message);
  if (message !== lastText || !lastTextFrame) {
    lastTextFrame = frame(Opcode.TEXT, encoder.encode(message));
    lastText = message;
  }
  return lastTextFrame;
}

/** A close frame with `code` (1005: no body) and `reason`. */
export function closeFrame(code: number, reason = ""): [Uint8Array, Uint8Array] {
  return frame(Opcode.CLOSE, encodeClosePayload(code, reason));
}

/** A compressed data message (its deflate bytes, tail already removed) as one frame with RSV1. */
export function compressedFrame(isBinary: boolean, payload: Uint8Array): [Uint8Array, Uint8Array] {
  return [frameHeader(isBinary ? Opcode.BINARY : Opcode.TEXT, payload.byteLength, true), payload];
}
