/**
 * A fragmented message being put together (RFC 6455 §5.4). Its memory follows the payload bytes,
 * not the number of fragments: small fragments are packed into shared blocks instead of each
 * keeping its own view, and empty ones cost nothing. Text is checked as UTF-8 fragment by
 * fragment, so bad bytes fail at once, and decoded once when the message is complete.
 */
import { CloseCode } from "../close_codes.ts";
import { WebSocketError } from "../errors.ts";
import { isWastefulView } from "../backlog.ts";
import { concat } from "./bytes.ts";
import { Opcode } from "./opcodes.ts";

/** Fragments under this size are copied into a packing block rather than kept as views. */
const SMALL_FRAGMENT = 1024;
const BLOCK = 16 * 1024;
/** V8's longest string (0x1fffffe8 UTF-16 units): a text of at most this many bytes always fits. */
const LONGEST_STRING = 0x1fffffe8;
const EMPTY = new Uint8Array(0);

// ignoreBOM everywhere: a leading U+FEFF is message content, and TextDecoder would drop it.
const wholeDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

const STREAM: TextDecodeOptions = { stream: true };

/**
 * Decodes UTF-8 text; a failure becomes the error to close with: 1007 for bytes that are not
 * UTF-8, 1009 for a text too long for a string (engines throw different errors for that, and
 * Deno a TypeError like bad bytes, so length tells them apart).
 */
export function decodeText(bytes: Uint8Array, decoder: TextDecoder = wholeDecoder, stream = false): string | WebSocketError {
  try {
    // No options object for a whole message: this runs for every text message.
    return stream ? decoder.decode(bytes, STREAM) : decoder.decode(bytes);
  } catch (error) {
    if (error instanceof TypeError && bytes.byteLength <= LONGEST_STRING) {
      return new WebSocketError(CloseCode.INVALID_PAYLOAD, "Text message is not valid UTF-8");
    }
    return new WebSocketError(CloseCode.MESSAGE_TOO_BIG, "Text message too long for a string");
  }
}

export class Reassembly {
  /** `Opcode.TEXT` or `Opcode.BINARY`: the first frame's. */
  readonly opcode: number;
  /** Payload bytes so far. */
  length = 0;
  /** Data frames so far, the first included. */
  fragments = 0;
  #parts: Uint8Array[] = [];
  #block: Uint8Array = EMPTY;
  #used = 0;
  readonly #checker: TextDecoder | undefined;
  /** A compressed message: its bytes are deflate data, checked as text only once inflated. */
  readonly compressed: boolean;

  constructor(opcode: number, compressed = false) {
    this.opcode = opcode;
    this.compressed = compressed;
    if (opcode === Opcode.TEXT && !compressed) this.#checker = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  }

  /** Adds one fragment's payload (the parser owns it); returns the error to fail with, if any. */
  add(payload: Uint8Array, fin: boolean): WebSocketError | undefined {
    this.fragments++;
    if (this.#checker) {
      const checked = decodeText(payload, this.#checker, !fin);
      if (checked instanceof WebSocketError) return checked;
    }
    const n = payload.byteLength;
    if (n === 0) return undefined;
    this.length += n;
    if (n >= SMALL_FRAGMENT) {
      this.#flush();
      // A view would keep the whole socket read it came in alive, not just its own bytes.
      this.#parts.push(isWastefulView(payload) ? payload.slice() : payload);
      return undefined;
    }
    if (this.#used + n > this.#block.byteLength) {
      this.#flush();
      this.#block = new Uint8Array(BLOCK);
    }
    this.#block.set(payload, this.#used);
    this.#used += n;
    return undefined;
  }

  /** The whole message (a compressed one as its bytes), or the error to fail with when the engine cannot hold it. */
  finish(): string | Uint8Array | WebSocketError {
    this.#flush();
    let bytes: Uint8Array;
    try {
      bytes = concat(this.#parts, this.length);
    } catch {
      return new WebSocketError(CloseCode.MESSAGE_TOO_BIG, "Message too large for one buffer");
    }
    this.#parts = [];
    return this.opcode === Opcode.TEXT && !this.compressed ? decodeText(bytes) : bytes;
  }

  /** Moves the packed bytes into the parts; the rest of the block is used for later fragments. */
  #flush(): void {
    if (this.#used === 0) return;
    this.#parts.push(this.#block.subarray(0, this.#used));
    this.#block = this.#block.subarray(this.#used);
    this.#used = 0;
  }
}
