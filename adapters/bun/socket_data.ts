/**
 * What Rookery keeps for one Bun socket: its `ws.data`, which is also the core's port over the
 * socket and its native topics (Bun's pub/sub: same semantics, `ws.publish` skips the sender).
 * One object per socket, with its methods on the prototype: no second object and no closures
 * per connection.
 * @module
 */
import type { SendStatus } from "../../src/connection.ts";
import type { ConnectionSettings } from "../../src/connection_settings.ts";
import { exceedsLimit } from "../../src/limits.ts";
import type { SocketEvents, SocketPort } from "../../src/socket_port.ts";
import type { NativeServer, NativeTopics } from "../../src/topics.ts";
import type { Acceptance } from "../../src/upgrade.ts";
import { compressesPublish, follow } from "./deflate.ts";
import { published, type Subscriber, track } from "./slow_readers.ts";
import type { BunSocket, BunSocketData } from "./types.ts";

/**
 * Rookery's `ws.data`: a class, so that Rookery's sockets are told from those the user's own code
 * upgraded by `instanceof` (no registry of them to keep).
 */
export class RookeryData implements BunSocketData, SocketPort, NativeTopics, Subscriber {
  acceptance: Acceptance | undefined;
  events: SocketEvents | undefined = undefined;
  readonly server: NativeServer;
  readonly deflate: BunSocketData["deflate"];
  /** The socket, once Bun opened it. */
  #ws: BunSocket | undefined;
  /** Sends from this many bytes up are compressed: `threshold - 1`, so exactly `threshold` is; Infinity stays Infinity. */
  readonly #compressAbove: number;
  /** The route's options (shared), for the slow-reader check after a publish. */
  readonly #settings: ConnectionSettings;
  /**
   * The topics this socket is subscribed to natively, made on first use: Bun unsubscribes a
   * closed socket without a word, and Rookery's records of it must follow.
   */
  #topics: Set<string> | undefined;

  constructor(acceptance: Acceptance, server: NativeServer, deflate: BunSocketData["deflate"]) {
    this.acceptance = acceptance;
    this.server = server;
    this.deflate = deflate;
    this.#compressAbove = deflate ? deflate.threshold - 1 : Infinity;
    this.#settings = acceptance.settings;
  }

  /** Bun opened the socket that carries this data: from now on this is its port. */
  opened(ws: BunSocket): void {
    this.#ws = ws;
  }

  get native(): NativeTopics {
    return this;
  }

  subscribe(topic: string): void {
    // A handler may subscribe once Bun has closed the socket (onerror after a drop runs from
    // Bun's close): Bun ignores it, and Rookery's records, already forgotten, must not take it up.
    if (this.#ws!.readyState !== 1) return;
    this.#ws!.subscribe(topic);
    follow(this, topic, true);
    track(this.server, topic, this, true);
    (this.#topics ??= new Set()).add(topic);
  }

  unsubscribe(topic: string): void {
    this.#ws!.unsubscribe(topic);
    follow(this, topic, false);
    track(this.server, topic, this, false);
    this.#topics?.delete(topic);
  }

  /** Bun has closed the socket and unsubscribed it itself: Rookery's records of its topics follow. */
  forgetTopics(): void {
    if (!this.#topics) return;
    for (const topic of this.#topics) {
      follow(this, topic, false);
      track(this.server, topic, this, false);
    }
    this.#topics = undefined;
  }

  publish(topic: string, message: string | Uint8Array): void {
    const result = this.#ws!.publish(topic, message, compressesPublish(this.server, topic, message));
    published(this.server, topic, result, this);
  }

  checkSendBuffer(): void {
    const ws = this.#ws!;
    const { maxBufferedAmount, slowReader } = this.#settings;
    // The core's rule before a send (lifecycle.ts): over the bound, "close" fails the connection
    // with 1008. "drop" has nothing left to do: Bun delivered the message, or dropped it past
    // the server's bound.
    if (slowReader === "close" && ws.readyState === 1 && ws.getBufferedAmount() > maxBufferedAmount) {
      this.events?.fail({ kind: "slowReader" });
    }
  }

  send(message: string | Uint8Array): SendStatus {
    const ws = this.#ws!;
    // Bun compresses only what it is asked to, and ignores the flag where nothing was agreed.
    const compress = exceedsLimit(message, this.#compressAbove);
    const result = typeof message === "string" ? ws.sendText(message, compress) : ws.sendBinary(message, compress);
    return sendStatus(ws, result, typeof message === "string" ? message.length : message.byteLength);
  }

  close(code: number, reason: string): void {
    if (this.#ws!.readyState === 1) this.#ws!.close(code, reason);
  }

  sendPing(payload: Uint8Array): SendStatus {
    const ws = this.#ws!;
    if (ws.readyState !== 1) return "dropped";
    return sendStatus(ws, ws.ping(payload), payload.byteLength);
  }

  terminate(): void {
    this.#ws!.terminate();
  }

  get bufferedAmount(): number {
    return this.#ws!.getBufferedAmount();
  }
}

/**
 * What a Bun send returned, as a `SendStatus`. Bun returns -1 when the frame was queued with
 * backpressure, otherwise the payload bytes written: 0 both for an empty message that went out
 * and for one Bun dropped, on a closed socket or past its `backpressureLimit` (measured on Bun
 * 1.4.5; an empty ping returned 0 on an open socket with nothing buffered).
 */
function sendStatus(ws: BunSocket, result: number, length: number): SendStatus {
  if (result === -1) return "backpressure";
  return result === 0 && (length > 0 || ws.readyState !== 1) ? "dropped" : "sent";
}

/** Whether Rookery upgraded `ws` (rather than the user's own code on the same server). */
export function ours(ws: BunSocket<unknown>): ws is BunSocket<RookeryData> {
  return ws.data instanceof RookeryData;
}
