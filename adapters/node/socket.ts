/**
 * One WebSocket over a node:net socket: the codec on the way in, frames on the way out,
 * and the closing handshake. Behaviour (handler order, limits, close codes) is the core's.
 */
import type { Socket } from "node:net";
import type { Rookery } from "../../src/app.ts";
import { CloseCode } from "../../src/close_codes.ts";
import type { SendStatus } from "../../src/connection.ts";
import type { WebSocketError } from "../../src/errors.ts";
import type { ServerHost } from "../../src/server_host.ts";
import type { SocketEvents, SocketPort } from "../../src/socket_port.ts";
import { FrameParser, type ParserEvents } from "../../src/protocol/frame_parser.ts";
import { closeFrame, frame, messageFrame } from "../../src/protocol/frame_writer.ts";
import { Opcode } from "../../src/protocol/opcodes.ts";
import type { Acceptance } from "../../src/upgrade.ts";

export class NodeWebSocket implements SocketPort, ParserEvents {
  readonly #socket: Socket;
  readonly #parser: FrameParser;
  /** The core's side of this connection. */
  readonly events: SocketEvents;
  readonly #closeTimeout: number;
  #closeSent = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #corked = false;
  readonly #idleTimeout: number;
  #heard = true;
  #silentFor = 0;
  #pinged = false;
  #paused = false;
  #pongPending = false;
  #nextPing: Uint8Array | undefined;
  readonly #maxBuffered: number;
  readonly #log: Rookery["log"];
  readonly #slowReader: "close" | "drop";

  /** `closeTimeout`: milliseconds to wait for the peer's side of the closing handshake before dropping it. */
  constructor(host: Pick<ServerHost<never>, "app" | "connect">, acceptance: Acceptance, socket: Socket, head: Uint8Array, closeTimeout: number) {
    this.#socket = socket;
    this.#closeTimeout = closeTimeout;
    this.#idleTimeout = acceptance.idleTimeout;
    this.#maxBuffered = acceptance.maxBufferedAmount;
    this.#log = host.app.log;
    this.#slowReader = acceptance.slowReader;
    this.#parser = new FrameParser(this, {
      maxPayload: acceptance.maxPayload,
      allowUnmasked: acceptance.allowUnmaskedFrames,
      maxFragments: acceptance.maxFragments,
    });
    this.events = host.connect(acceptance, this, socket.remoteAddress);
    socket.setNoDelay(true);
    socket.setTimeout(0);
    // Shared listeners (no closures per connection): each finds its WebSocket on the socket.
    (socket as Tagged)[OWNER] = this;
    socket.on("data", onData);
    socket.on("error", onError);
    socket.on("end", onEnd);
    socket.on("close", onClose);
    socket.on("drain", onDrain);
    socket.resume();
    if (this.#idleTimeout > 0) watchIdle(this);
    if (head.byteLength > 0) this.#parser.push(head);
  }

  get bufferedAmount(): number {
    return this.#socket.writableLength;
  }

  send(message: string | Uint8Array): SendStatus {
    if (this.#closeSent) return "dropped";
    return this.#write(messageFrame(message)) ? "sent" : "backpressure";
  }

  // Inbound flow control: the core pauses reading while too much waits for a pending handler;
  // the socket stops reading, so TCP pushes back on the client.
  pause(): void {
    this.#paused = true;
    this.#parser.pause();
    this.#socket.pause();
  }

  resume(): void {
    this.#paused = false;
    // What the parser kept may fill the backlog again and pause once more inside this call.
    this.#parser.resume();
    if (!this.#paused) this.#socket.resume();
  }

  close(code: number, reason: string): void {
    if (this.#closeSent) return;
    this.#closeSent = true;
    this.#write(closeFrame(code, reason));
    // After a failure nothing more will be read, so the TCP side ends now; otherwise the
    // peer's close frame is awaited (in `close` below), for at most `closeTimeout`.
    if (this.#parser.stopped) this.#socket.end();
    this.#armTimer();
  }

  /** @internal Bytes from the socket. */
  received(chunk: Uint8Array): void {
    this.#heard = true;
    try {
      this.#parser.push(chunk);
    } catch (error) {
      // A bug of ours must cost this connection, never the process (this runs in a socket event).
      this.#log("WebSocket codec failed", error);
      this.#parser.stop();
      this.events.fail({ kind: "internal" });
      this.#socket.destroy();
    }
  }

  // ParserEvents

  message(message: string | Uint8Array, isBinary: boolean): void {
    this.events.message(message, isBinary);
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
    if (this.#socket.writableLength > this.#maxBuffered) {
      if (this.#slowReader === "close") this.events.fail({ kind: "slowReader" });
      return;
    }
    this.#pongPending = true;
    this.#write(frame(Opcode.PONG, payload), this.#pongWritten);
  }

  /** A pong left for the OS: answer the ping that came meanwhile, if any. */
  readonly #pongWritten = (): void => {
    this.#pongPending = false;
    const next = this.#nextPing;
    if (next === undefined) return;
    this.#nextPing = undefined;
    this.ping(next);
  };

  closeReceived(code: number, reason: string): void {
    if (!this.#closeSent) {
      this.#closeSent = true;
      // §5.5.1: answer with a close frame, echoing the code (none for 1005) and the reason, as
      // Deno and Bun do.
      this.#write(closeFrame(code, reason));
    }
    // §7.1.1: the server closes the TCP connection first once the handshake is done.
    this.#socket.end();
    this.#armTimer();
    this.events.closed(code, reason);
  }

  error(error: WebSocketError): void {
    this.events.fail({ kind: "protocol", code: error.code, detail: error.message });
    // The core closes with error.code while open; if it was already closing, end here.
    if (!this.#closeSent) this.close(error.code, "");
    this.#socket.end();
  }

  #write(parts: [Uint8Array, Uint8Array], written?: () => void): boolean {
    const socket = this.#socket;
    if (!socket.writable) return false;
    // Frames written in one tick leave in one syscall.
    if (!this.#corked) {
      this.#corked = true;
      socket.cork();
      process.nextTick(uncork, this);
    }
    if (parts[1].byteLength === 0) {
      socket.write(parts[0], written);
      return !socket.writableNeedDrain;
    }
    socket.write(parts[0]);
    return socket.write(parts[1], written);
  }

  /** @internal Ends the per-tick write batch. */
  uncork(): void {
    this.#corked = false;
    this.#socket.uncork();
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
    if (this.#heard || this.#paused) {
      this.#heard = false;
      this.#silentFor = 0;
      this.#pinged = false;
      return;
    }
    this.#silentFor++;
    if (this.#silentFor >= 2 * this.#idleTimeout) {
      this.events.fail({ kind: "idle", detail: `nothing from the client for ${this.#silentFor} s, ping unanswered` });
      this.#socket.destroy();
    } else if (this.#silentFor >= this.#idleTimeout && !this.#pinged && !this.#closeSent) {
      this.#pinged = true;
      this.#write(frame(Opcode.PING, EMPTY));
    }
  }

  /** @internal The TCP connection is gone. */
  gone(): void {
    idle.delete(this);
    clearTimeout(this.#timer);
    this.#parser.stop();
    this.events.closed(CloseCode.ABNORMAL, "");
  }
}

const EMPTY = new Uint8Array(0);

// One sweep a second for every socket with an idle timeout, instead of a timer per socket.
const idle = new Set<NodeWebSocket>();
let sweep: ReturnType<typeof setInterval> | undefined;

function watchIdle(ws: NodeWebSocket): void {
  idle.add(ws);
  if (sweep) return;
  sweep = setInterval(() => {
    for (const socket of idle) socket.idleTick();
    if (idle.size === 0) {
      clearInterval(sweep);
      sweep = undefined;
    }
  }, 1000);
  sweep.unref();
}

const OWNER = Symbol("rookery.websocket");
type Tagged = Socket & { [OWNER]: NodeWebSocket };

function uncork(ws: NodeWebSocket): void {
  ws.uncork();
}
function onData(this: Tagged, chunk: Uint8Array): void {
  this[OWNER].received(chunk);
}
function onError(this: Tagged, error: Error): void {
  this[OWNER].events.fail({ kind: "lost", detail: error.message, cause: error });
}
function onEnd(this: Tagged): void {
  this.end();
}
function onClose(this: Tagged): void {
  this[OWNER].gone();
}
function onDrain(this: Tagged): void {
  this[OWNER].events.drain();
}
