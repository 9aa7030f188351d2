/**
 * The frames of one connection that wait behind a compression under way (permessage-deflate).
 * zlib compresses off the main thread, one message at a time per connection; every frame sent
 * meanwhile, compressed or not, queues behind it, so the output keeps the order of the sends.
 */
import { firstByte } from "../../src/protocol/frame_writer.ts";
import { Opcode } from "../../src/protocol/opcodes.ts";
import { type DeflateEngine, wirePayload } from "../../src/protocol/permessage_deflate.ts";

/** A frame waiting: one to compress, one ready to write, or the end of the transport. */
export type Outgoing = ToCompress | { first: number; payload: string | Uint8Array } | { end: true };

type ToCompress = { compress: Uint8Array; isBinary: boolean };

/** Where what leaves the queue goes: the connection that owns it. */
export interface QueueOwner {
  /** Writes one frame now. */
  writeQueued(first: number, payload: string | Uint8Array): void;
  /** Ends the transport: every frame queued before this point is out. */
  endQueued(): void;
  /** A compression failed: the connection has to go. */
  compressionFailed(error: Error): void;
  /** The queue ran empty. */
  queueEmptied(): void;
}

export class CompressionQueue {
  readonly #engine: DeflateEngine;
  readonly #owner: QueueOwner;
  #items: Outgoing[] = [];
  /** Bytes waiting (part of the connection's `bufferedAmount`). */
  bytes = 0;
  #deflating = false;

  constructor(engine: DeflateEngine, owner: QueueOwner) {
    this.#engine = engine;
    this.#owner = owner;
  }

  /** Whether anything waits: a frame sent now must wait behind it. */
  get waiting(): boolean {
    return this.#items.length > 0;
  }

  push(item: Outgoing): void {
    this.#items.push(item);
    this.bytes += outgoingSize(item);
    this.#pump();
  }

  /** Forgets everything (the connection is gone); a compression under way is then ignored. */
  clear(): void {
    this.#items = [];
    this.bytes = 0;
  }

  /** Writes what waits, in order, up to the next compression. */
  #pump(): void {
    const items = this.#items;
    while (items.length > 0 && !this.#deflating) {
      const item = items[0]!;
      if ("compress" in item) {
        this.#deflating = true;
        this.#engine.deflate(item.compress, (result) => this.#compressed(item, result));
        return;
      }
      items.shift();
      this.bytes -= outgoingSize(item);
      if ("end" in item) this.#owner.endQueued();
      else this.#owner.writeQueued(item.first, item.payload);
    }
    if (items.length === 0) this.#owner.queueEmptied();
  }

  #compressed(item: ToCompress, result: Uint8Array | Error): void {
    this.#deflating = false;
    // Cleared meanwhile: the connection ended and its queue went with it.
    if (this.#items[0] !== item) return;
    this.#items.shift();
    this.bytes -= outgoingSize(item);
    if (result instanceof Error) return this.#owner.compressionFailed(result);
    this.#owner.writeQueued(firstByte(item.isBinary ? Opcode.BINARY : Opcode.TEXT, true), wirePayload(result));
    this.#pump();
  }
}

function outgoingSize(item: Outgoing): number {
  if ("compress" in item) return item.compress.byteLength;
  if ("end" in item) return 0;
  // A text's size in UTF-16 units is near enough for accounting.
  return typeof item.payload === "string" ? item.payload.length : item.payload.byteLength;
}
