/**
 * Frames on their way to one node:net socket. The frames sent while one read is parsed leave in
 * one write when it ends (the replies to a read of many messages), and those sent elsewhere in
 * one tick leave in one write at its end. Small ones are encoded straight into a region of a
 * shared slab (a text message goes from its string to the wire with one copy, and a header costs
 * no allocation), a large payload is handed to the socket as it is, beside the region, and the
 * socket is corked so the pieces leave in one `writev`. The pending bytes count in `pending`, so
 * backpressure sees them before they are written.
 *
 * The slab is shared by every socket of the process, and a region once handed out is never
 * written again: a write still queued in a slow socket keeps its slab alive, which costs at most
 * one slab per connection with output pending (each connection's pending output is bounded by
 * `maxBufferedAmount`, which is larger).
 */
import { Buffer } from "node:buffer";
import type { Duplex } from "node:stream";
import { headerSize, writeHeader } from "../../src/protocol/frame_writer.ts";

/** Binary frames up to this many bytes are copied into the slab; larger payloads are written as they are. */
const GATHER = 16 * 1024;
/**
 * Texts that may take up to this many bytes are encoded into the slab: encoding them anywhere
 * else costs an allocation per message, which is what the slab saves.
 */
const ENCODE_IN_PLACE = 64 * 1024;
const SLAB = 256 * 1024;

let slab: Buffer = Buffer.allocUnsafeSlow(SLAB);
let slabUsed = 0;

/** Room for `n` more bytes at the slab's end; a fresh slab when the current one lacks it. */
function reserve(n: number): void {
  if (slabUsed + n <= SLAB) return;
  slab = Buffer.allocUnsafeSlow(SLAB);
  slabUsed = 0;
}

function flushOnTick(output: FrameOutput): void {
  output.flush();
}

export class FrameOutput {
  readonly #socket: Duplex;
  // The region being filled: `[start, end)` of `#slab`, which may no longer be the current one.
  #slab: Buffer = slab;
  #start = 0;
  #end = 0;
  /** Pieces before the region, in order: earlier regions and large payloads (made when needed: an idle connection keeps none). */
  #pieces: Uint8Array[] | undefined;
  #pieceBytes = 0;
  #scheduled = false;
  /** Inside a read: frames wait for `endRead` instead of a tick, so the replies to one read leave in one write. */
  #reading = false;
  /** Callbacks for when the pending bytes have been handed to the OS. */
  #written: (() => void)[] | undefined;

  constructor(socket: Duplex) {
    this.#socket = socket;
  }

  /** Whether `text` is encoded straight into the slab (else it is encoded apart, then written). */
  static encodesInPlace(text: string): boolean {
    // UTF-8 takes at most 3 bytes per UTF-16 unit, so the room is known before encoding.
    return text.length * 3 + 10 <= ENCODE_IN_PLACE;
  }

  /** Bytes accepted and not yet handed to the socket. */
  get pending(): number {
    return this.#pieceBytes + this.#end - this.#start;
  }

  /**
   * Queues one final frame. `first` is its first byte (FIN, RSV1, opcode). Returns false when the
   * socket no longer writes (the frame is dropped). `written` runs once the frame has left.
   */
  frame(first: number, payload: string | Uint8Array, written?: () => void): boolean {
    if (!this.#socket.writable) return false;
    if (typeof payload === "string") this.#text(first, payload);
    else this.#bytes(first, payload);
    if (written) (this.#written ??= []).push(written);
    if (!this.#scheduled && !this.#reading) {
      this.#scheduled = true;
      process.nextTick(flushOnTick, this);
    }
    return true;
  }

  #text(first: number, text: string): void {
    if (!FrameOutput.encodesInPlace(text)) return this.#bytes(first, Buffer.from(text, "utf8"));
    const most = text.length * 3;
    const header = headerSize(most);
    const at = this.#room(header + most);
    const n = slab.write(text, at + header, "utf8");
    const actual = headerSize(n);
    // The encoded text turned out shorter than the room left for it in the header's length field.
    if (actual !== header) slab.copyWithin(at + actual, at + header, at + header + n);
    writeHeader(slab, at, first, n);
    this.#grow(at, actual + n);
  }

  #bytes(first: number, payload: Uint8Array): void {
    const n = payload.byteLength;
    const header = headerSize(n);
    const at = this.#room(header + (n <= GATHER ? n : 0));
    writeHeader(slab, at, first, n);
    if (n <= GATHER) {
      slab.set(payload, at + header);
      this.#grow(at, header + n);
      return;
    }
    this.#grow(at, header);
    this.#cut();
    (this.#pieces ??= []).push(payload);
    this.#pieceBytes += n;
  }

  /** Where `n` bytes go in the slab, at the end of this output's region when it can grow there. */
  #room(n: number): number {
    reserve(n);
    if (this.#slab !== slab || this.#end !== slabUsed) {
      this.#cut();
      this.#slab = slab;
      this.#start = this.#end = slabUsed;
    }
    return slabUsed;
  }

  #grow(at: number, n: number): void {
    slabUsed = at + n;
    this.#end = at + n;
  }

  /** Closes the region: it becomes a piece, and the next frame starts a new one. */
  #cut(): void {
    if (this.#end === this.#start) return;
    (this.#pieces ??= []).push(this.#slab.subarray(this.#start, this.#end));
    this.#pieceBytes += this.#end - this.#start;
    this.#start = this.#end;
  }

  /** A read is being parsed: what its handlers send is written when it ends (`endRead`). */
  beginRead(): void {
    this.#reading = true;
  }

  /** The read is parsed: writes what its handlers sent. */
  endRead(): void {
    this.#reading = false;
    if (this.pending > 0) this.flush();
  }

  /** Hands everything pending to the socket, in one write when it can. */
  flush(): void {
    this.#scheduled = false;
    this.#cut();
    const pieces = this.#pieces;
    if (pieces === undefined || pieces.length === 0) return;
    this.#pieces = undefined;
    this.#pieceBytes = 0;
    const callbacks = this.#written;
    this.#written = undefined;
    const socket = this.#socket;
    if (!socket.writable) return;
    const done = callbacks && (() => callbacks.forEach((f) => f()));
    if (pieces.length === 1) {
      socket.write(pieces[0]!, done);
      return;
    }
    socket.cork();
    const last = pieces.length - 1;
    for (let i = 0; i < last; i++) socket.write(pieces[i]!);
    socket.write(pieces[last]!, done);
    socket.uncork();
  }

  /** Drops what is pending (the socket is gone). */
  discard(): void {
    this.#pieces = undefined;
    this.#pieceBytes = 0;
    this.#start = this.#end;
    this.#written = undefined;
  }
}
