/**
 * permessage-deflate (RFC 7692) around a runtime's zlib: the framing rules and the limits are
 * here; the compression itself is a {@link DeflateEngine} the adapter supplies (node:zlib on Node
 * and on Deno's Node compatibility).
 */
import { CloseCode } from "../close_codes.ts";
import { WebSocketError } from "../errors.ts";
import { tooBigMessage } from "../limits.ts";
import type { NegotiatedDeflate } from "./deflate_params.ts";
import { decodeText } from "./reassembly.ts";

/** The four bytes a sync flush ends with, which RFC 7692 §7.2.1 leaves off the wire. */
export const DEFLATE_TAIL: Uint8Array = Uint8Array.of(0x00, 0x00, 0xff, 0xff);

/** What an inflate of one message came to. */
export type InflateResult = Uint8Array | "tooBig" | Error;

/**
 * One connection's zlib contexts. Calls on one engine never overlap (the socket waits for each),
 * and `done` may run synchronously or later.
 */
export interface DeflateEngine {
  /**
   * Inflates one message (its wire bytes followed by {@link DEFLATE_TAIL}) with this connection's
   * context; stops as soon as the output passes `maxBytes` and reports `"tooBig"` (a bomb costs
   * at most the limit, not its inflated size).
   */
  inflate(data: Uint8Array, maxBytes: number, done: (result: InflateResult) => void): void;
  /** Compresses one message and sync-flushes; the output still ends with {@link DEFLATE_TAIL}. */
  deflate(data: Uint8Array, done: (result: Uint8Array | Error) => void): void;
  /** Frees the contexts (the connection is gone). */
  close(): void;
}

/** Makes the engine for one connection with its negotiated parameters. */
export type DeflateEngineFactory = (params: NegotiatedDeflate) => DeflateEngine;

/**
 * The most wire bytes a message of `limit` inflated bytes can take. zlib never writes more than
 * its stored blocks (5 bytes per 16 KiB), but another client's deflater may code incompressible
 * bytes with fixed Huffman codes, up to 9 bits a byte (an eighth more), and flush per fragment;
 * the bound allows that, plus a little. A compressed message past it cannot be within the limit,
 * so it fails at its frame header like an uncompressed one; anything under it is checked by
 * inflating, where the limit counts inflated bytes exactly.
 */
export function compressedBound(limit: number): number {
  // Infinity stays Infinity.
  return limit + Math.ceil(limit / 8) + 1024;
}

/** The deflate output without its tail (RFC 7692 §7.2.1). */
export function withoutTail(deflated: Uint8Array): Uint8Array {
  const n = deflated.byteLength;
  const tail = n >= 4 && deflated[n - 4] === 0 && deflated[n - 3] === 0 && deflated[n - 2] === 0xff && deflated[n - 1] === 0xff;
  return tail ? deflated.subarray(0, n - 4) : deflated;
}

const EMPTY_BLOCK = Uint8Array.of(0x00);

/**
 * The wire payload of a compressed message: the deflate output without its tail, and never
 * nothing. zlib writes nothing at all for an empty message flushed right after another flush, and
 * an empty payload (the receiver adds only the tail) would not inflate as a block of its own:
 * the single byte 0x00 does, an empty stored block (RFC 7692 §7.2.3.6).
 */
export function wirePayload(deflated: Uint8Array): Uint8Array {
  const payload = withoutTail(deflated);
  return payload.byteLength === 0 ? EMPTY_BLOCK : payload;
}

/** The message an inflate gave, or the error that fails the connection (1009, 1007). */
export function inflatedMessage(result: InflateResult, isBinary: boolean, limit: number): string | Uint8Array | WebSocketError {
  if (result === "tooBig") return new WebSocketError(CloseCode.MESSAGE_TOO_BIG, tooBigMessage(limit));
  if (result instanceof Error) return new WebSocketError(CloseCode.INVALID_PAYLOAD, `Compressed message does not inflate: ${result.message}`);
  return isBinary ? result : decodeText(result);
}

/** Whether a message of `bytes` is worth compressing under `params`. */
export function shouldCompress(bytes: number, params: NegotiatedDeflate): boolean {
  return bytes >= params.threshold;
}
