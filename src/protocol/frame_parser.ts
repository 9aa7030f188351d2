/**
 * An incremental RFC 6455 frame parser for the server side. It accepts any chunking of the
 * byte stream, reassembles fragmented messages (control frames may be interleaved, §5.4),
 * validates text as UTF-8 fragment by fragment, and checks a frame's declared length against
 * the payload limit before buffering any of its payload.
 *
 * It parks when it lacks bytes, hands out views into the received chunks, and copies only
 * when a read spans chunks. Payloads are unmasked in place: `push` takes ownership of chunks.
 */
import { CloseCode, type CloseCodeValue } from "../close_codes.ts";
import { WebSocketError } from "../errors.ts";
import { tooBigMessage } from "../limits.ts";
import { decodeClosePayload } from "./close_payload.ts";
import { concat, unmask, view } from "./bytes.ts";
import { isControl, Opcode } from "./opcodes.ts";

/** What the parser found in the stream. */
export interface ParserEvents {
  message(message: string | Uint8Array, isBinary: boolean): void;
  ping(payload: Uint8Array): void;
  pong(payload: Uint8Array): void;
  /** A valid close frame arrived; the parser reads nothing after it. */
  closeReceived(code: number, reason: string): void;
  /** The stream broke the protocol or the limit; the parser reads nothing after it. */
  error(error: WebSocketError): void;
}

export interface ParserOptions {
  /** Largest whole message in bytes; `Infinity` for none. */
  maxPayload: number;
  /** Accept unmasked frames (lax, as Crow without `CROW_ENFORCE_WS_SPEC`). */
  allowUnmasked: boolean;
}

const EMPTY: Uint8Array = new Uint8Array(0);
// Decoding a whole message keeps no state between calls, so one decoder serves every parser;
// only a fragmented text message needs its own (streaming) decoder, created when one starts.
// ignoreBOM everywhere: a leading U+FEFF is message content, and TextDecoder would drop it.
const wholeDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

// Parser states: what the parser waits for next.
const HEADER = 0;
const LENGTH_16 = 1;
const LENGTH_64 = 2;
const MASK = 3;
const PAYLOAD = 4;
const STOPPED = 5;

export class FrameParser {
  readonly #events: ParserEvents;
  readonly #maxPayload: number;
  readonly #allowUnmasked: boolean;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #state = HEADER;
  // The frame being read.
  #fin = false;
  #opcode = 0;
  #masked = false;
  #length = 0;
  #mask = EMPTY;
  // The fragmented message being reassembled (opcode 0 when none).
  #messageOpcode = 0;
  #messageLength = 0;
  #fragments: Uint8Array[] | undefined;
  #textParts: string[] | undefined;
  #streamDecoder: TextDecoder | undefined;
  // Flow control: while paused, bytes are kept but no further frame is read.
  #paused = false;
  #parsing = false;

  constructor(events: ParserEvents, options: ParserOptions) {
    this.#events = events;
    this.#maxPayload = options.maxPayload;
    this.#allowUnmasked = options.allowUnmasked;
  }

  /** Whether the parser has stopped (after a close frame or an error). */
  get stopped(): boolean {
    return this.#state === STOPPED;
  }

  /** Stops reading: later chunks are ignored. */
  stop(): void {
    this.#state = STOPPED;
    this.#chunks = [];
    this.#fragments = undefined;
    this.#textParts = undefined;
  }

  /** Feeds received bytes. The parser owns `chunk` from now on (it unmasks in place). */
  push(chunk: Uint8Array): void {
    if (this.#state === STOPPED || chunk.byteLength === 0) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.byteLength;
    if (!this.#parsing) this.#parse();
  }

  /**
   * Reads no further frame until `resume` (the frame under way is finished): bytes pushed
   * meanwhile are only kept. Called from a `message` event, it stops after that message.
   */
  pause(): void {
    this.#paused = true;
  }

  /** Reads again, reporting at once what the bytes kept while paused hold. */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    // Called from inside an event, the loop already running goes on by itself.
    if (!this.#parsing && this.#state !== STOPPED) this.#parse();
  }

  #parse(): void {
    this.#parsing = true;
    try {
      this.#readFrames();
    } finally {
      this.#parsing = false;
    }
  }

  #readFrames(): void {
    for (;;) {
      switch (this.#state) {
        case HEADER:
          if (this.#paused || this.#buffered < 2) return;
          this.#readHeader();
          break;
        case LENGTH_16:
          if (this.#buffered < 2) return;
          this.#readLength16();
          break;
        case LENGTH_64:
          if (this.#buffered < 8) return;
          this.#readLength64();
          break;
        case MASK:
          if (this.#buffered < 4) return;
          this.#mask = this.#consume(4);
          this.#state = PAYLOAD;
          break;
        case PAYLOAD:
          if (this.#buffered < this.#length) return;
          this.#readPayload();
          break;
        default:
          return;
      }
    }
  }

  #fail(code: CloseCodeValue, message: string): void {
    this.stop();
    this.#events.error(new WebSocketError(code, message));
  }

  #readHeader(): void {
    const b = this.#consume(2);
    const b0 = b[0]!;
    const b1 = b[1]!;
    this.#fin = (b0 & 0x80) !== 0;
    this.#opcode = b0 & 0x0f;
    this.#masked = (b1 & 0x80) !== 0;
    this.#length = b1 & 0x7f;
    const opcode = this.#opcode;

    // §5.2: RSV1-3 must be 0 unless an extension defines them; none is negotiated.
    if ((b0 & 0x70) !== 0) return this.#fail(CloseCode.PROTOCOL_ERROR, "Reserved bits set without an extension");
    if (isControl(opcode)) {
      if (opcode > Opcode.PONG) return this.#fail(CloseCode.PROTOCOL_ERROR, `Reserved opcode ${opcode}`);
      // §5.5: control frames are never fragmented and carry at most 125 bytes.
      if (!this.#fin) return this.#fail(CloseCode.PROTOCOL_ERROR, "Fragmented control frame");
      if (this.#length > 125) return this.#fail(CloseCode.PROTOCOL_ERROR, "Control frame payload over 125 bytes");
    } else if (opcode === Opcode.CONTINUATION) {
      if (this.#messageOpcode === 0) return this.#fail(CloseCode.PROTOCOL_ERROR, "Continuation frame without a message to continue");
    } else if (opcode === Opcode.TEXT || opcode === Opcode.BINARY) {
      // §5.4: fragments of one message are not interleaved with another message.
      if (this.#messageOpcode !== 0) return this.#fail(CloseCode.PROTOCOL_ERROR, "New data frame inside a fragmented message");
    } else {
      return this.#fail(CloseCode.PROTOCOL_ERROR, `Reserved opcode ${opcode}`);
    }
    // §5.1: a server must fail a connection whose client frames are not masked.
    if (!this.#masked && !this.#allowUnmasked) return this.#fail(CloseCode.PROTOCOL_ERROR, "Unmasked client frame");

    if (this.#length === 126) this.#state = LENGTH_16;
    else if (this.#length === 127) this.#state = LENGTH_64;
    else this.#afterLength();
  }

  #readLength16(): void {
    const b = this.#consume(2);
    this.#length = (b[0]! << 8) | b[1]!;
    this.#afterLength();
  }

  #readLength64(): void {
    const b = this.#consume(8);
    const view = new DataView(b.buffer, b.byteOffset, 8);
    const high = view.getUint32(0);
    // §5.2: the most significant bit of a 64-bit length must be 0.
    if (high & 0x80000000) return this.#fail(CloseCode.PROTOCOL_ERROR, "64-bit payload length with the high bit set");
    // Past 2^53 a length cannot even be represented, let alone buffered.
    if (high >= 0x200000) return this.#fail(CloseCode.MESSAGE_TOO_BIG, tooBigMessage(this.#maxPayload));
    this.#length = high * 0x100000000 + view.getUint32(4);
    this.#afterLength();
  }

  #afterLength(): void {
    if (!isControl(this.#opcode)) {
      const total = (this.#opcode === Opcode.CONTINUATION ? this.#messageLength : 0) + this.#length;
      if (total > this.#maxPayload) return this.#fail(CloseCode.MESSAGE_TOO_BIG, tooBigMessage(this.#maxPayload));
    }
    this.#state = this.#masked ? MASK : PAYLOAD;
  }

  #readPayload(): void {
    const payload = this.#consume(this.#length);
    if (this.#masked) unmask(payload, this.#mask);
    this.#state = HEADER;
    const opcode = this.#opcode;
    switch (opcode) {
      case Opcode.PING:
        return this.#events.ping(payload);
      case Opcode.PONG:
        return this.#events.pong(payload);
      case Opcode.CLOSE: {
        const result = decodeClosePayload(payload);
        if (result instanceof WebSocketError) return this.#fail(result.code, result.message);
        this.stop();
        return this.#events.closeReceived(result.code, result.reason);
      }
    }
    if (opcode !== Opcode.CONTINUATION && this.#fin) {
      // The common case, one frame per message: no reassembly.
      if (opcode === Opcode.BINARY) return this.#events.message(payload, true);
      const text = this.#decode(wholeDecoder, payload, false);
      if (text !== undefined) this.#events.message(text, false);
      return;
    }
    if (opcode !== Opcode.CONTINUATION) {
      this.#messageOpcode = opcode;
      this.#messageLength = 0;
    }
    this.#messageLength += payload.byteLength;
    if (this.#messageOpcode === Opcode.TEXT) {
      // Decoding each fragment as it comes fails bad UTF-8 early and lets a code point span fragments.
      this.#streamDecoder ??= new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
      const part = this.#decode(this.#streamDecoder, payload, !this.#fin);
      if (part === undefined) return;
      (this.#textParts ??= []).push(part);
    } else {
      (this.#fragments ??= []).push(payload);
    }
    if (!this.#fin) return;
    const isBinary = this.#messageOpcode === Opcode.BINARY;
    const message = isBinary ? concat(this.#fragments!, this.#messageLength) : this.#textParts!.join("");
    this.#messageOpcode = 0;
    this.#fragments = undefined;
    this.#textParts = undefined;
    this.#events.message(message, isBinary);
  }

  #decode(decoder: TextDecoder, bytes: Uint8Array, stream: boolean): string | undefined {
    try {
      return decoder.decode(bytes, { stream });
    } catch (error) {
      if (error instanceof RangeError) this.#fail(CloseCode.MESSAGE_TOO_BIG, "Text message too long for a string");
      else this.#fail(CloseCode.INVALID_PAYLOAD, "Text message is not valid UTF-8");
      return undefined;
    }
  }

  /** Takes `n` bytes off the front: a view when they sit in one chunk, else a copy. */
  #consume(n: number): Uint8Array {
    if (n === 0) return EMPTY;
    this.#buffered -= n;
    const first = this.#chunks[0]!;
    if (first.byteLength === n) {
      this.#chunks.shift();
      return view(first, 0, n);
    }
    if (first.byteLength > n) {
      this.#chunks[0] = view(first, n, first.byteLength - n);
      return view(first, 0, n);
    }
    const out = new Uint8Array(n);
    let offset = 0;
    while (offset < n) {
      const chunk = this.#chunks[0]!;
      const take = Math.min(chunk.byteLength, n - offset);
      out.set(take === chunk.byteLength ? chunk : chunk.subarray(0, take), offset);
      offset += take;
      if (take === chunk.byteLength) this.#chunks.shift();
      else this.#chunks[0] = view(chunk, take, chunk.byteLength - take);
    }
    return out;
  }
}
