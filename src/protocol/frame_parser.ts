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
import { type Allocate, ByteQueue } from "./byte_queue.ts";
import { unmask } from "./bytes.ts";
import { headerProblem } from "./frame_header.ts";
import { compressedBound } from "./permessage_deflate.ts";
import { isControl, Opcode } from "./opcodes.ts";
import { decodeText, Reassembly } from "./reassembly.ts";

/** What the parser found in the stream. */
export interface ParserEvents {
  message(message: string | Uint8Array, isBinary: boolean): void;
  ping(payload: Uint8Array): void;
  /** A pong arrived (a server that never pings may leave it out). */
  pong?(payload: Uint8Array): void;
  /** A valid close frame arrived; the parser reads nothing after it. */
  closeReceived(code: number, reason: string): void;
  /** The stream broke the protocol or the limit; the parser reads nothing after it. */
  error(error: WebSocketError): void;
  /**
   * A whole compressed message (RFC 7692), its deflate bytes as they came: the receiver inflates
   * it, checks the limit and UTF-8, and usually pauses the parser meanwhile to keep order.
   */
  compressed?(payload: Uint8Array, isBinary: boolean): void;
}

export interface ParserOptions {
  /** Largest whole message in bytes; `Infinity` for none. */
  maxPayload: number;
  /** Accept unmasked frames (lax, as Crow without `CROW_ENFORCE_WS_SPEC`). */
  allowUnmasked: boolean;
  /** Most data frames one message may come in; `Infinity` for no bound. */
  maxFragments: number;
  /** permessage-deflate was negotiated: RSV1 messages go to `compressed`. Default: false. */
  deflate?: boolean;
  /**
   * Makes the buffer a frame that spans reads is filled into, and the blocks small reads behind a
   * waiting frame are packed into; no byte of them is read or handed out before it is written, so
   * a runtime's unzeroed allocation fits (Node's `Buffer.allocUnsafe`). Default: a new `Uint8Array`.
   */
  allocate?: Allocate;
}


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
  /** What the header checks need, one object per parser (only `fragments` changes, per frame). */
  readonly #context: { fragments: number | undefined; readonly maxFragments: number; readonly allowUnmasked: boolean; readonly deflate: boolean };
  /** What a compressed message may take on the wire: deflate can outgrow its input a little. */
  readonly #maxCompressed: number;
  readonly #bytes: ByteQueue;
  #state = HEADER;
  // The frame being read.
  #fin = false;
  #opcode = 0;
  /** RSV1 on the frame just read. */
  #rsv1 = false;
  #masked = false;
  #length = 0;
  /** The masking key, its 4 bytes big-endian in one number. */
  #mask = 0;
  // The fragmented message being reassembled, if any.
  #message: Reassembly | undefined;
  // Flow control: while paused, bytes are kept but no further frame is read.
  #paused = false;
  #parsing = false;

  constructor(events: ParserEvents, options: ParserOptions) {
    this.#events = events;
    this.#maxPayload = options.maxPayload;
    this.#context = {
      fragments: undefined,
      maxFragments: options.maxFragments,
      allowUnmasked: options.allowUnmasked,
      deflate: options.deflate ?? false,
    };
    this.#maxCompressed = compressedBound(options.maxPayload);
    this.#bytes = new ByteQueue(options.allocate);
  }

  /** Whether the parser has stopped (after a close frame or an error). */
  get stopped(): boolean {
    return this.#state === STOPPED;
  }

  /** Stops reading: later chunks are ignored. */
  stop(): void {
    this.#state = STOPPED;
    this.#bytes.clear();
    this.#message = undefined;
  }

  /** Feeds received bytes. The parser owns `chunk` from now on (it unmasks in place). */
  push(chunk: Uint8Array): void {
    if (this.#state === STOPPED || chunk.byteLength === 0) return;
    this.#bytes.push(chunk);
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
          if (this.#paused || this.#bytes.length < 2) return;
          this.#readHeader();
          break;
        case LENGTH_16:
          if (this.#bytes.length < 2) return;
          this.#readLength16();
          break;
        case LENGTH_64:
          if (this.#bytes.length < 8) return;
          this.#readLength64();
          break;
        case MASK:
          if (this.#bytes.length < 4) return;
          this.#readMask();
          break;
        case PAYLOAD:
          if (this.#bytes.length < this.#length) return;
          this.#readPayload(this.#takePayload());
          break;
        default:
          return;
      }
    }
  }

  #fail(code: CloseCodeValue, message: string): void {
    this.#failWith(new WebSocketError(code, message));
  }

  #failWith(error: WebSocketError): void {
    this.stop();
    this.#events.error(error);
  }

  #readHeader(): void {
    const bytes = this.#bytes;
    const b0 = bytes.peek(0);
    const b1 = bytes.peek(1);
    bytes.skip(2);
    this.#fin = (b0 & 0x80) !== 0;
    this.#opcode = b0 & 0x0f;
    this.#rsv1 = (b0 & 0x40) !== 0;
    this.#masked = (b1 & 0x80) !== 0;
    this.#length = b1 & 0x7f;
    const context = this.#context;
    context.fragments = this.#message?.fragments;
    const problem = headerProblem(b0, b1, context);
    if (problem) return this.#failWith(problem);
    if (this.#length === 126) this.#state = LENGTH_16;
    else if (this.#length === 127) this.#state = LENGTH_64;
    else this.#afterLength();
  }

  #readLength16(): void {
    const bytes = this.#bytes;
    this.#length = (bytes.peek(0) << 8) | bytes.peek(1);
    bytes.skip(2);
    this.#afterLength();
  }

  /** A big-endian 32-bit word at `at` from the front of the queue. */
  #word(at: number): number {
    const bytes = this.#bytes;
    return ((bytes.peek(at) << 24) | (bytes.peek(at + 1) << 16) | (bytes.peek(at + 2) << 8) | bytes.peek(at + 3)) >>> 0;
  }

  #readMask(): void {
    this.#mask = this.#word(0);
    this.#bytes.skip(4);
    this.#state = PAYLOAD;
  }

  #readLength64(): void {
    const high = this.#word(0);
    const low = this.#word(4);
    this.#bytes.skip(8);
    // §5.2: the most significant bit of a 64-bit length must be 0.
    if (high & 0x80000000) return this.#fail(CloseCode.PROTOCOL_ERROR, "64-bit payload length with the high bit set");
    // Past 2^53 a length cannot even be represented, let alone buffered.
    if (high >= 0x200000) return this.#fail(CloseCode.MESSAGE_TOO_BIG, tooBigMessage(this.#maxPayload));
    this.#length = high * 0x100000000 + low;
    this.#afterLength();
  }

  #afterLength(): void {
    if (!isControl(this.#opcode)) {
      const continued = this.#opcode === Opcode.CONTINUATION ? this.#message : undefined;
      const total = (continued?.length ?? 0) + this.#length;
      // A compressed message's limit is on its inflated size (checked while inflating); its wire
      // size only has to stay within what deflate could make of that many bytes.
      const compressed = continued ? continued.compressed : this.#rsv1;
      if (total > (compressed ? this.#maxCompressed : this.#maxPayload)) {
        return this.#fail(CloseCode.MESSAGE_TOO_BIG, tooBigMessage(this.#maxPayload));
      }
    }
    this.#state = this.#masked ? MASK : PAYLOAD;
  }

  /** The frame's payload, unmasked; a frame too large for one buffer fails with 1009 instead. */
  #takePayload(): Uint8Array | undefined {
    let payload: Uint8Array;
    try {
      payload = this.#bytes.take(this.#length);
    } catch {
      // Only with no limit: the engine cannot allocate a buffer that long.
      this.#fail(CloseCode.MESSAGE_TOO_BIG, "Frame too large for one buffer");
      return undefined;
    }
    if (this.#masked) unmask(payload, this.#mask);
    this.#state = HEADER;
    return payload;
  }

  #readPayload(payload: Uint8Array | undefined): void {
    if (!payload) return;
    const opcode = this.#opcode;
    switch (opcode) {
      case Opcode.PING:
        return this.#events.ping(payload);
      case Opcode.PONG:
        return this.#events.pong?.(payload);
      case Opcode.CLOSE: {
        const result = decodeClosePayload(payload);
        if (result instanceof WebSocketError) return this.#failWith(result);
        this.stop();
        return this.#events.closeReceived(result.code, result.reason);
      }
    }
    if (opcode !== Opcode.CONTINUATION && this.#fin) {
      // The common case, one frame per message: no reassembly.
      if (this.#rsv1) return this.#events.compressed!(payload, opcode === Opcode.BINARY);
      if (opcode === Opcode.BINARY) return this.#events.message(payload, true);
      const text = decodeText(payload);
      if (text instanceof WebSocketError) return this.#failWith(text);
      return this.#events.message(text, false);
    }
    const message = (this.#message ??= new Reassembly(opcode, this.#rsv1));
    const failure = message.add(payload, this.#fin);
    if (failure) return this.#failWith(failure);
    if (!this.#fin) return;
    this.#message = undefined;
    const whole = message.finish();
    if (whole instanceof WebSocketError) return this.#failWith(whole);
    if (message.compressed) return this.#events.compressed!(whole as Uint8Array, message.opcode === Opcode.BINARY);
    this.#events.message(whole, message.opcode === Opcode.BINARY);
  }
}
