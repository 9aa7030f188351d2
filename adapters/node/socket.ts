/**
 * One WebSocket over a node:net socket (or an HTTP/2 stream, RFC 8441): the codec on the way in, frames on the way out,
 * and the closing handshake. Behaviour (handler order, limits, close codes) is the core's.
 */
import { Buffer } from "node:buffer";
import type { Duplex } from "node:stream";
import type { Rookery } from "../../src/app.ts";
import { CloseCode } from "../../src/close_codes.ts";
import type { SendStatus } from "../../src/connection.ts";
import type { ServerHost } from "../../src/server_host.ts";
import type { SocketEvents, SocketPort } from "../../src/socket_port.ts";
import { FrameParser, type ParserEvents } from "../../src/protocol/frame_parser.ts";
import { encodeClosePayload } from "../../src/protocol/close_payload.ts";
import { firstByte } from "../../src/protocol/frame_writer.ts";
import { FrameOutput } from "./frame_output.ts";
import { idleVerdict, type IdleWatched, unwatchIdle, watchIdle } from "./idle_sweep.ts";
import type { PreparedMessage } from "../../src/prepared_message.ts";
import type { NegotiatedDeflate } from "../../src/protocol/deflate_params.ts";
import { type DeflateEngine, inflatedMessage, shouldCompress } from "../../src/protocol/permessage_deflate.ts";
import { WebSocketError as CoreError } from "../../src/errors.ts";
import { zlibEngine } from "./zlib_engine.ts";
import { CompressionQueue, type Outgoing, type QueueOwner } from "./compression_queue.ts";
import { Opcode } from "../../src/protocol/opcodes.ts";
import type { ConnectionSettings } from "../../src/connection_settings.ts";
import type { Acceptance } from "../../src/upgrade.ts";

/**
 * What a WebSocket runs over: a `net.Socket` after an HTTP/1.1 upgrade, or an `Http2Stream`
 * after an extended CONNECT (neither has the other's extras, so those are optional).
 */
export type Transport = Duplex & {
  setNoDelay?(noDelay: boolean): unknown;
  setTimeout(ms: number): unknown;
  readonly writableNeedDrain: boolean;
};

export class NodeWebSocket implements SocketPort, ParserEvents, QueueOwner, IdleWatched {
  readonly #socket: Transport;
  readonly #parser: FrameParser;
  /** The core's side of this connection. */
  readonly events: SocketEvents;
  readonly #closeTimeout: number;
  #closeSent = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #output: FrameOutput;
  #ended = false;
  /** The route's options, shared with its other connections (the idle timeout, the bounds). */
  readonly #settings: ConnectionSettings;
  /** Whole seconds of the idle sweep without a byte from the client; -1: bytes came since the last one. */
  #silentFor = -1;
  /** Why reading is held: the core's flow control, an inflate under way (bits). */
  #holds = 0;
  #pongPending = false;
  #nextPing: Uint8Array | undefined;
  readonly #log: Rookery["log"];
  // permessage-deflate, when agreed: its parameters and the zlib contexts.
  readonly #deflate: NegotiatedDeflate | undefined;
  readonly #engine: DeflateEngine | undefined;
  /** Frames behind a compression under way; made on the first compression. */
  #out: CompressionQueue | undefined;
  /** A send reported backpressure while only our queue held it: the drain is ours to report. */
  #owesDrain = false;

  /** `closeTimeout`: milliseconds to wait for the peer's side of the closing handshake before dropping it. */
  constructor(
    host: Pick<ServerHost<never>, "app" | "connect">,
    acceptance: Acceptance,
    socket: Transport,
    head: Uint8Array,
    closeTimeout: number,
    remoteAddress: string | undefined,
  ) {
    this.#socket = socket;
    this.#output = new FrameOutput(socket);
    this.#closeTimeout = closeTimeout;
    const settings = acceptance.settings;
    this.#settings = settings;
    this.#log = host.app.log;
    this.#deflate = acceptance.deflate;
    this.#engine = acceptance.deflate && zlibEngine(acceptance.deflate);
    this.#parser = new FrameParser(this, {
      maxPayload: settings.maxPayload,
      allowUnmasked: settings.allowUnmaskedFrames,
      maxFragments: settings.maxFragments,
      deflate: acceptance.deflate !== undefined,
      allocate: allocateUnzeroed,
    });
    this.events = host.connect(acceptance, this, remoteAddress);
    socket.setNoDelay?.(true);
    socket.setTimeout(0);
    // Shared listeners (no closures per connection): each finds its WebSocket on the socket.
    (socket as Tagged)[OWNER] = this;
    socket.on("data", onData);
    socket.on("error", onError);
    socket.on("end", onEnd);
    socket.on("close", onClose);
    socket.on("drain", onDrain);
    socket.resume();
    if (this.#settings.idleTimeout > 0) watchIdle(this);
    this.events.open();
    // Bytes that came with the upgrade are the first read.
    if (head.byteLength > 0) this.received(head);
  }

  get bufferedAmount(): number {
    return this.#socket.writableLength + (this.#out?.bytes ?? 0) + this.#output.pending;
  }

  send(message: string | Uint8Array): SendStatus {
    if (this.#closeSent) return "dropped";
    const params = this.#deflate;
    if (params && (typeof message === "string" ? message.length * 3 >= params.threshold : shouldCompress(message.byteLength, params))) {
      const isBinary = typeof message !== "string";
      const bytes = isBinary ? message : encoder.encode(message);
      if (shouldCompress(bytes.byteLength, params)) return this.#queue({ compress: bytes, isBinary });
    }
    return this.#send(typeof message === "string" ? TEXT : BINARY, message);
  }

  /**
   * A publish's message. A text too long to encode into the output slab is written from the
   * bytes encoded once for every subscriber; a shorter one costs the same either way.
   */
  sendPrepared(prepared: PreparedMessage): SendStatus {
    const { message } = prepared;
    if (typeof message !== "string" || this.#deflate || FrameOutput.encodesInPlace(message)) return this.send(message);
    if (this.#closeSent) return "dropped";
    return this.#send(TEXT, prepared.bytes);
  }

  /** Writes a frame now, or behind the frames waiting for a compression. */
  #send(first: number, payload: string | Uint8Array): SendStatus {
    if (this.#waiting()) return this.#queue({ first, payload });
    return this.#write(first, payload) ? "sent" : "backpressure";
  }

  sendPing(payload: Uint8Array): SendStatus {
    if (this.#closeSent) return "dropped";
    return this.#send(PING, payload);
  }

  /** Drops the connection: no closing handshake; `gone` reports it once the socket is closed. */
  terminate(): void {
    this.#parser.stop();
    this.#socket.destroy();
  }

  // Inbound flow control: the core pauses reading while too much waits for a pending handler;
  // the socket stops reading, so TCP pushes back on the client.
  pause(): void {
    this.#hold(BY_CORE);
  }

  resume(): void {
    this.#release(BY_CORE);
  }

  #hold(reason: number): void {
    if (this.#holds === 0) {
      this.#parser.pause();
      this.#socket.pause();
    }
    this.#holds |= reason;
  }

  #release(reason: number): void {
    if ((this.#holds & reason) === 0) return;
    this.#holds &= ~reason;
    if (this.#holds !== 0) return;
    // What the parser kept may hold reading again inside this call (a backlog, a compressed message).
    try {
      this.#parser.resume();
    } catch (error) {
      return this.#codecFailed(error);
    }
    if (this.#holds === 0) this.#socket.resume();
  }

  /** A bug of ours in the codec must cost this connection, never the process (it runs in socket and zlib events). */
  #codecFailed(error: unknown): void {
    this.#log("WebSocket codec failed", error);
    this.#parser.stop();
    this.events.fail({ kind: "internal" });
    this.#socket.destroy();
  }

  close(code: number, reason: string): void {
    if (this.#closeSent) return;
    this.#closeSent = true;
    // After a failure nothing more will be read, so the TCP side ends once the close frame is
    // out; otherwise the peer's close frame is awaited (in `closeReceived`), for at most `closeTimeout`.
    const stopped = this.#parser.stopped;
    this.#send(CLOSE, encodeClosePayload(code, reason));
    if (stopped) this.#endAfterOutput();
    this.#armTimer();
  }

  /** Whether frames wait behind a compression. */
  #waiting(): boolean {
    return this.#out?.waiting === true;
  }

  /** Ends the TCP side once, after what is pending. */
  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#output.flush();
    this.#socket.end();
  }

  /** Ends the socket once every frame sent so far is written (behind any compression under way). */
  #endAfterOutput(): void {
    if (this.#waiting()) this.#queue({ end: true });
    else this.#end();
  }

  #queue(item: Outgoing): SendStatus {
    // Only a connection that agreed on compression ever queues: it has an engine.
    (this.#out ??= new CompressionQueue(this.#engine!, this)).push(item);
    if (this.bufferedAmount <= this.#socket.writableHighWaterMark) return "sent";
    this.#owesDrain = true;
    return "backpressure";
  }

  /** @internal A frame leaves the compression queue. */
  writeQueued(first: number, payload: string | Uint8Array): void {
    this.#write(first, payload);
  }

  /** @internal The end queued behind the frames before it. */
  endQueued(): void {
    this.#end();
  }

  /** @internal */
  compressionFailed(error: Error): void {
    if (this.#socket.destroyed) return;
    this.#log("WebSocket compression failed", error);
    this.events.fail({ kind: "internal" });
    this.#socket.destroy();
  }

  /** @internal Nothing waits behind a compression any more. */
  queueEmptied(): void {
    if (!this.#owesDrain || this.#socket.writableNeedDrain) return;
    // A backpressured send that the socket never saw: the drain is ours to report.
    this.#owesDrain = false;
    this.events.drain();
  }

  /** @internal Bytes from the socket. */
  received(chunk: Uint8Array): void {
    this.#silentFor = -1;
    const output = this.#output;
    output.beginRead();
    try {
      this.#parser.push(chunk);
    } catch (error) {
      this.#codecFailed(error);
    } finally {
      output.endRead();
    }
  }

  // ParserEvents

  message(message: string | Uint8Array, isBinary: boolean): void {
    this.events.message(message, isBinary);
  }

  /** A compressed message: reading waits while it inflates, so messages keep their order. */
  compressed(payload: Uint8Array, isBinary: boolean): void {
    // An empty payload is no deflate block: fed to the context it would desynchronise it for
    // every later message. It can only mean an empty message.
    if (payload.byteLength === 0) return this.events.message(isBinary ? payload : "", isBinary);
    this.#hold(INFLATING);
    this.#engine!.inflate(payload, this.#settings.maxPayload, (result) => {
      if (this.#parser.stopped) return;
      const message = inflatedMessage(result, isBinary, this.#settings.maxPayload);
      if (message instanceof CoreError) {
        this.#parser.stop();
        this.error(message);
        // Nothing more is delivered, but the socket must be read again to see the peer's answer.
        this.#release(INFLATING);
        return;
      }
      this.events.message(message, isBinary);
      this.#release(INFLATING);
    });
  }

  ping(payload: Uint8Array): void {
    if (this.#closeSent) return;
    // §5.5.3: while a pong is unwritten, only the latest ping needs an answer. So a peer that
    // pings and never reads holds one pong and one ping payload here, however long it goes on.
    if (this.#pongPending) {
      this.#nextPing = payload.slice();
      return;
    }
    // Pongs are bound by the send buffer like every message (`maxBufferedAmount`).
    if (this.#socket.writableLength > this.#settings.maxBufferedAmount) {
      if (this.#settings.slowReader === "close") this.events.fail({ kind: "slowReader" });
      return;
    }
    this.#pongPending = true;
    // Made on the first pong only: most connections are never pinged.
    this.#write(PONG, payload, (this.#pongWritten ??= () => this.#pongDone()));
  }

  pong(payload: Uint8Array): void {
    this.events.pong(payload);
  }

  /** A pong left for the OS: answer the ping that came meanwhile, if any. */
  #pongWritten: (() => void) | undefined;

  #pongDone(): void {
    this.#pongPending = false;
    const next = this.#nextPing;
    if (next === undefined) return;
    this.#nextPing = undefined;
    this.ping(next);
  }

  closeReceived(code: number, reason: string): void {
    if (!this.#closeSent) {
      this.#closeSent = true;
      // §5.5.1: answer with a close frame, echoing the code (none for 1005) and the reason, as
      // Deno and Bun do.
      this.#send(CLOSE, encodeClosePayload(code, reason));
    }
    // §7.1.1: the server closes the TCP connection first once the handshake is done.
    this.#endAfterOutput();
    this.#armTimer();
    this.events.closed(code, reason);
  }

  error(error: CoreError): void {
    this.events.fail({ kind: "protocol", code: error.code, detail: error.message });
    // The core closes with error.code while open; if it was already closing, end here.
    if (!this.#closeSent) this.close(error.code, "");
    this.#endAfterOutput();
  }

  /** Queues a frame for this tick's write; false when the socket is over its high-water mark. */
  #write(first: number, payload: string | Uint8Array, written?: () => void): boolean {
    if (!this.#output.frame(first, payload, written)) return false;
    return this.bufferedAmount < this.#socket.writableHighWaterMark;
  }

  #armTimer(): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => this.#socket.destroy(), this.#closeTimeout);
    this.#timer.unref();
  }

  /**
   * @internal One second passed (the idle sweep): after `idleTimeout` seconds with nothing from
   * the client, ping it; after as long again, drop it.
   */
  idleTick(): void {
    // While reading is paused the silence is ours (a handler is behind), not the client's.
    if (this.#holds !== 0) {
      this.#silentFor = 0;
      return;
    }
    const silentFor = ++this.#silentFor;
    const verdict = idleVerdict(silentFor, this.#settings.idleTimeout);
    if (verdict === "drop") {
      this.events.fail({ kind: "idle", detail: `nothing from the client for ${silentFor} s, ping unanswered` });
      this.#socket.destroy();
    } else if (verdict === "ping" && !this.#closeSent) {
      this.#write(PING, EMPTY);
    }
  }

  /** @internal The peer ended its side: ours ends too, once the frames waiting for a compression are out. */
  peerEnded(): void {
    this.#endAfterOutput();
  }

  /** @internal The TCP connection is gone. */
  gone(): void {
    unwatchIdle(this);
    clearTimeout(this.#timer);
    this.#parser.stop();
    this.#engine?.close();
    this.#output.discard();
    this.#out?.clear();
    this.events.closed(CloseCode.ABNORMAL, "");
  }
}

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

// Frames' first bytes.
const TEXT = firstByte(Opcode.TEXT);
const BINARY = firstByte(Opcode.BINARY);
const CLOSE = firstByte(Opcode.CLOSE);
const PING = firstByte(Opcode.PING);
const PONG = firstByte(Opcode.PONG);

/**
 * A frame that spans reads is copied into a buffer it fills whole, so zeroing it first is waste.
 * Its own memory, never a slice of Node's shared pool (a message may be kept for long), and a
 * plain `Uint8Array` like every message.
 */
function allocateUnzeroed(length: number): Uint8Array {
  const buffer = Buffer.allocUnsafeSlow(length);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, length);
}

// Reasons reading is held (bits of `#holds`).
const BY_CORE = 1;
const INFLATING = 2;

const OWNER = Symbol("rookery.websocket");
type Tagged = Transport & { [OWNER]: NodeWebSocket };

function onData(this: Tagged, chunk: Uint8Array): void {
  this[OWNER].received(chunk);
}
function onError(this: Tagged, error: Error): void {
  this[OWNER].events.fail({ kind: "lost", detail: error.message, cause: error });
}
function onEnd(this: Tagged): void {
  this[OWNER].peerEnded();
}
function onClose(this: Tagged): void {
  this[OWNER].gone();
}
function onDrain(this: Tagged): void {
  this[OWNER].events.drain();
}
