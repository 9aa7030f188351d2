/**
 * What Rookery keeps for one Bun socket: its `ws.data`, which is also the core's port over the
 * socket and its native topics (Bun's pub/sub: same semantics, `ws.publish` skips the sender).
 * One object per socket, with its methods on the prototype: no second object and no closures
 * per connection.
 * @module
 */
import type { SendStatus } from "../../src/connection.ts";
import { exceedsLimit } from "../../src/limits.ts";
import type { SocketEvents, SocketPort } from "../../src/socket_port.ts";
import type { NativeServer, NativeTopics } from "../../src/topics.ts";
import type { Acceptance } from "../../src/upgrade.ts";
import { compressesPublish, follow } from "./deflate.ts";
import type { BunSocket, BunSocketData } from "./types.ts";

/**
 * Rookery's `ws.data`: a class, so that Rookery's sockets are told from those the user's own code
 * upgraded by `instanceof` (no registry of them to keep).
 */
export class RookeryData implements BunSocketData, SocketPort, NativeTopics {
  acceptance: Acceptance | undefined;
  events: SocketEvents | undefined = undefined;
  readonly server: NativeServer;
  readonly deflate: BunSocketData["deflate"];
  /** The socket, once Bun opened it. */
  #ws: BunSocket | undefined;
  /** Sends from this many bytes up are compressed: `threshold - 1`, so exactly `threshold` is; Infinity stays Infinity. */
  readonly #compressAbove: number;

  constructor(acceptance: Acceptance, server: NativeServer, deflate: BunSocketData["deflate"]) {
    this.acceptance = acceptance;
    this.server = server;
    this.deflate = deflate;
    this.#compressAbove = deflate ? deflate.threshold - 1 : Infinity;
  }

  /** Bun opened the socket that carries this data: from now on this is its port. */
  opened(ws: BunSocket): void {
    this.#ws = ws;
  }

  get native(): NativeTopics {
    return this;
  }

  subscribe(topic: string): void {
    this.#ws!.subscribe(topic);
    follow(this, topic, true);
  }

  unsubscribe(topic: string): void {
    this.#ws!.unsubscribe(topic);
    follow(this, topic, false);
  }

  publish(topic: string, message: string | Uint8Array): void {
    this.#ws!.publish(topic, message, compressesPublish(this.server, topic, message));
  }

  send(message: string | Uint8Array): SendStatus {
    const ws = this.#ws!;
    // Bun compresses only what it is asked to, and ignores the flag where nothing was agreed.
    const compress = exceedsLimit(message, this.#compressAbove);
    const result = typeof message === "string" ? ws.sendText(message, compress) : ws.sendBinary(message, compress);
    // Bun: -1 queued with backpressure, 0 dropped, otherwise bytes sent.
    return result === -1 ? "backpressure" : result === 0 && ws.readyState !== 1 ? "dropped" : "sent";
  }

  close(code: number, reason: string): void {
    if (this.#ws!.readyState === 1) this.#ws!.close(code, reason);
  }

  sendPing(payload: Uint8Array): SendStatus {
    const ws = this.#ws!;
    if (ws.readyState !== 1) return "dropped";
    const result = ws.ping(payload);
    return result === -1 ? "backpressure" : result === 0 ? "dropped" : "sent";
  }

  terminate(): void {
    this.#ws!.terminate();
  }

  get bufferedAmount(): number {
    return this.#ws!.getBufferedAmount();
  }
}

/** Whether Rookery upgraded `ws` (rather than the user's own code on the same server). */
export function ours(ws: BunSocket<unknown>): ws is BunSocket<RookeryData> {
  return ws.data instanceof RookeryData;
}
