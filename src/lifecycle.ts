/**
 * One connection's lifecycle (`ConnectionLifecycle`): turns what an adapter observes on a
 * socket into handler calls, in the contract's order (DESIGN.md "Lifecycle contract"):
 *
 * - `onopen` first, once; `onmessage` per message in arrival order; `onerror` at most once
 *   and before `onclose`; `onclose` exactly once, last; nothing after it.
 * - Handlers of one connection never overlap: if one returns a promise, later events wait
 *   for it. Synchronous handlers run inline, with no promise in between.
 * - A handler that throws or rejects fails the connection with 1011; messages not yet
 *   delivered are then discarded. A throw in `onerror` or `onclose` is only logged.
 * - Messages waiting behind a pending handler are bounded (`maxBacklog`): past it the port
 *   stops reading, or, where it cannot, the connection fails with 1008.
 */
import { isThenable } from "./thenable.ts";
import { PreparedMessage } from "./prepared_message.ts";
import type { Rookery } from "./app.ts";
import { backlogCost, backlogMessage, isWastefulView, mayResume, overBacklog } from "./backlog.ts";
import { CloseCode, fitReason } from "./close_codes.ts";
import { Connection, type ConnectionControl, ReadyState, type ReadyStateValue, type SendStatus } from "./connection.ts";
import { failureError, handlerError, slowReaderError, WebSocketError } from "./errors.ts";
import type { ConnectionSettings } from "./connection_settings.ts";
import { exceedsLimit, tooBigMessage } from "./limits.ts";
import type { OpenSockets } from "./open_sockets.ts";
import type { SocketEvents, SocketFailure, SocketPort } from "./socket_port.ts";
import type { NativeTopics, TopicMember } from "./topics.ts";
import type { Acceptance } from "./upgrade.ts";

type Task =
  | { kind: "message"; message: string | Uint8Array; isBinary: boolean; cost: number }
  | { kind: "drain" }
  | { kind: "pong"; payload: Uint8Array }
  | { kind: "error"; error: WebSocketError }
  | { kind: "close"; code: number; reason: string };

const WIRE_REASON_1011 = "internal error";
/** Drain tasks carry nothing: one shared. */
const DRAIN: Task = { kind: "drain" };
/** The largest send-buffer high-water mark of any adapter (Node 24's socket default). */
const HIGH_WATER_MARK_CEILING = 64 * 1024;

/**
 * Opens a connection for an accepted upgrade: creates its `Connection`. It is in the app's
 * registry, and in `registry` (its entry point's) when given, until its `onclose` has been
 * called. `onopen` runs when the adapter, holding the events, calls `events.open()`.
 */
export function openConnection(
  app: Rookery,
  acceptance: Acceptance,
  port: SocketPort,
  remoteAddress?: string,
  registry?: OpenSockets,
): { connection: Connection<unknown>; events: SocketEvents } {
  const lifecycle = new ConnectionLifecycle(app, acceptance, port, remoteAddress, registry);
  return { connection: lifecycle.connection, events: lifecycle };
}

/** One connection's lifecycle: the events its adapter reports, turned into handler calls in order. */
class ConnectionLifecycle implements SocketEvents, ConnectionControl, TopicMember {
  readonly connection: Connection<unknown>;
  readyState: ReadyStateValue = ReadyState.OPEN;
  readonly #app: Rookery;
  readonly #registry: OpenSockets | undefined;
  /** The route's handlers and options, shared with its other connections. */
  readonly #settings: ConnectionSettings;
  readonly #port: SocketPort;
  #sentClose: { code: number; reason: string } | undefined;
  #failed = false;
  // An idle peer is dead: whatever close the runtime reports after it, it is 1006 without a reason.
  #idledOut = false;
  #backpressured = false;
  #topics: Set<string> | undefined;
  readonly native: NativeTopics | undefined;
  // True while a handler runs or its promise is pending; events then wait in the queue.
  #busy = true;
  /** Made on first use: most events run at once and never wait. */
  #queue: Task[] | undefined;
  // Inbound flow control: bytes of the messages in the queue, and whether the port is paused.
  #backlog = 0;
  #readPaused = false;
  /** The pong waiting in the queue, if any: a later one only replaces its payload (bounded). */
  #queuedPong: { kind: "pong"; payload: Uint8Array } | undefined;
  /** `terminate()` was called: the drop that follows is the server's choice, not a failure. */
  #terminated = false;

  constructor(app: Rookery, acceptance: Acceptance, port: SocketPort, remoteAddress: string | undefined, registry: OpenSockets | undefined) {
    this.#app = app;
    this.#registry = registry;
    this.#settings = acceptance.settings;
    this.#port = port;
    this.native = port.native;
    this.connection = new Connection(acceptance, remoteAddress, this);
    app.connections.add(this);
    registry?.add(this);
  }

  open(): void {
    // Events reported before this wait in the queue behind onopen (`#busy` starts true).
    this.#settle("onopen", this.#call(this.#settings.handlers.onopen));
  }

  get bufferedAmount(): number {
    return this.#port.bufferedAmount;
  }

  /** This connection's topics (created on first use: most connections never subscribe). */
  get topics(): Set<string> {
    return (this.#topics ??= new Set());
  }

  message(message: string | Uint8Array, isBinary: boolean): void {
    if (this.#failed || this.readyState === ReadyState.CLOSED) return;
    const limit = this.#settings.maxPayload;
    if (exceedsLimit(message, limit)) {
      this.#fail(new WebSocketError(CloseCode.MESSAGE_TOO_BIG, tooBigMessage(limit)));
      return;
    }
    if (this.#busy) {
      this.#enqueue(message, isBinary);
      return;
    }
    this.#busy = true;
    this.#settle("onmessage", this.#call(this.#settings.handlers.onmessage, message, isBinary));
  }

  /** Queues a message behind a pending handler, within the backlog bound. */
  #enqueue(message: string | Uint8Array, isBinary: boolean): void {
    // A view keeps its whole buffer alive (a socket read holds many frames): what waits must
    // cost what it counts, so a small view over a large buffer waits as a copy.
    if (typeof message !== "string" && isWastefulView(message)) message = message.slice();
    const cost = backlogCost(message);
    const maxBacklog = this.#settings.maxBacklog;
    const over = overBacklog(this.#backlog + cost, cost, maxBacklog);
    if (over && !this.#port.pause) {
      // The runtime cannot stop reading: fail rather than grow without bound.
      this.#fail(new WebSocketError(CloseCode.POLICY_VIOLATION, backlogMessage(maxBacklog)));
      return;
    }
    this.#backlog += cost;
    (this.#queue ??= []).push({ kind: "message", message, isBinary, cost });
    if (over && !this.#readPaused) {
      this.#readPaused = true;
      this.#port.pause!();
    }
  }

  /** Reads again: once the backlog has shrunk, or when no later message will be delivered. */
  #resumeReading(): void {
    if (!this.#readPaused) return;
    this.#readPaused = false;
    this.#port.resume?.();
  }

  fail(failure: SocketFailure): void {
    // Only an idle timeout that ends an open connection: one during our own close is just its end.
    if (failure.kind === "idle" && this.readyState === ReadyState.OPEN && !this.#failed) this.#idledOut = true;
    this.#fail(failureError(failure, this.#settings));
  }

  #fail(error: WebSocketError): void {
    if (this.#failed || this.readyState === ReadyState.CLOSED) return;
    // Once a close is under way, a broken transport only ends it; it is not a new failure.
    if (error.code === CloseCode.ABNORMAL && this.readyState === ReadyState.CLOSING) return;
    this.#failed = true;
    (this.#queue ??= []).push({ kind: "error", error });
    // The close frame goes out before onerror runs, so the peer learns of the failure at once.
    if (error.code !== CloseCode.ABNORMAL) this.close(error.code, fitReason(error.message));
    // Nothing that arrives from now on is delivered, so reading may go on (the peer's close).
    // Only now: what the codec held may end the connection inside this call, after the error.
    this.#resumeReading();
    if (!this.#busy) this.#runQueue();
  }

  closed(code: number, reason: string): void {
    if (this.readyState === ReadyState.CLOSED) return;
    // A drop the server chose (terminate) is no failure.
    if (code === CloseCode.ABNORMAL && !this.#failed && !this.#sentClose && !this.#terminated) {
      this.#fail(new WebSocketError(CloseCode.ABNORMAL, "The connection ended without a close frame"));
    }
    this.readyState = ReadyState.CLOSED;
    if (this.#topics) this.#app.topics.removeAll(this);
    // A close we started is reported as sent, whatever the peer echoed (clients differ); an
    // idle peer as dead (Deno sends it 1001, Bun reports a reason), as on Node.
    const dead = this.#idledOut || this.#terminated;
    const sent = this.#sentClose;
    this.#schedule({
      kind: "close",
      code: dead ? CloseCode.ABNORMAL : sent ? sent.code : code,
      reason: dead ? "" : sent ? sent.reason : reason,
    });
  }

  pong(payload: Uint8Array): void {
    if (this.#failed || this.readyState === ReadyState.CLOSED || !this.#settings.handlers.onpong) return;
    // The parser's view may share a large socket read: what waits keeps only its own bytes.
    if (this.#queuedPong) {
      this.#queuedPong.payload = payload.slice();
      return;
    }
    const task = { kind: "pong" as const, payload: this.#busy ? payload.slice() : payload };
    (this.#queue ??= []).push(task);
    if (this.#busy) this.#queuedPong = task;
    else this.#runQueue();
  }

  ping(payload: Uint8Array): SendStatus {
    if (this.readyState !== ReadyState.OPEN || !this.#port.sendPing) return "dropped";
    // A ping is a frame like a message: a reader that does not keep up gets none past the bound.
    if (this.#overBuffer()) return "dropped";
    const status = this.#port.sendPing(payload);
    if (status === "backpressure") this.#backpressured = true;
    return status;
  }

  terminate(): void {
    if (this.readyState === ReadyState.CLOSED || this.#terminated) return;
    this.#terminated = true;
    this.#port.terminate();
  }

  drain(): void {
    // Once per backpressure episode, however often a runtime signals it (Bun does repeatedly).
    if (!this.#backpressured || this.#failed || this.readyState !== ReadyState.OPEN) return;
    this.#backpressured = false;
    if (!this.#settings.handlers.ondrain) return;
    this.#schedule(DRAIN);
  }

  send(message: string | Uint8Array | PreparedMessage): SendStatus {
    if (this.readyState !== ReadyState.OPEN) return "dropped";
    if (this.#overBuffer()) {
      if (this.#settings.slowReader === "close") {
        this.#fail(slowReaderError(this.#settings.maxBufferedAmount));
      }
      return "dropped";
    }
    const port = this.#port;
    const status =
      message instanceof PreparedMessage ? (port.sendPrepared ? port.sendPrepared(message) : port.send(message.message)) : port.send(message);
    if (status === "backpressure") this.#backpressured = true;
    return status;
  }

  /** Whether the send buffer is past `maxBufferedAmount`, the bound on every frame sent. */
  #overBuffer(): boolean {
    // After a send that was not backpressured, a socket holds at most its runtime's high-water
    // mark (64 KiB at most on every adapter), so the buffer need not be asked (on Deno that is a
    // call into the runtime) unless the bound is below that.
    const maxBuffered = this.#settings.maxBufferedAmount;
    const mayBeOver = this.#backpressured || maxBuffered < HIGH_WATER_MARK_CEILING;
    return mayBeOver && this.#port.bufferedAmount > maxBuffered;
  }

  subscribe(topic: string): void {
    if (this.readyState === ReadyState.OPEN) this.#app.topics.subscribe(this, topic);
  }

  unsubscribe(topic: string): void {
    this.#app.topics.unsubscribe(this, topic);
  }

  publish(topic: string, message: string | Uint8Array): void {
    this.#app.topics.publish(topic, message, this);
  }

  close(code: number, reason: string): void {
    if (this.readyState !== ReadyState.OPEN) return;
    this.readyState = ReadyState.CLOSING;
    this.#sentClose = { code, reason };
    this.#port.close(code, reason);
  }

  /** Runs queued tasks in order until one leaves a promise pending. */
  #runQueue(): void {
    this.#busy = true;
    for (let task = this.#queue?.shift(); task; task = this.#queue?.shift()) {
      if (task.kind === "message") {
        this.#backlog -= task.cost;
        if (this.#readPaused && mayResume(this.#backlog, this.#settings.maxBacklog)) this.#resumeReading();
      } else if (task === this.#queuedPong) {
        this.#queuedPong = undefined;
      }
      if (this.#run(task)) return;
    }
    this.#busy = false;
  }

  /** Runs `task` now if nothing is running or waiting, else behind what waits. */
  #schedule(task: Task): void {
    if (this.#busy || this.#queue?.length) {
      (this.#queue ??= []).push(task);
      if (!this.#busy) this.#runQueue();
      return;
    }
    this.#busy = true;
    if (!this.#run(task)) this.#runQueue();
  }

  /** Runs one task; returns true when it left a promise to wait for. */
  #run(task: Task): boolean {
    const h = this.#settings.handlers;
    switch (task.kind) {
      case "message":
        return this.#settle("onmessage", this.#call(h.onmessage, task.message, task.isBinary), false);
      case "drain":
        return this.#settle("ondrain", this.#call(h.ondrain), false);
      case "pong":
        // A failure since it was queued: like messages, it is no longer delivered.
        if (this.#failed) return false;
        return this.#settle("onpong", this.#call(h.onpong, task.payload), false);
      case "error":
        return this.#settle("onerror", this.#call(h.onerror, task.error), false);
      case "close":
        this.#app.connections.delete(this);
        this.#registry?.delete(this);
        this.#queue = undefined;
        this.#backlog = 0;
        return this.#settle("onclose", this.#call(h.onclose, task.reason, task.code), false);
    }
  }

  /** Calls a handler with the connection first (none: nothing); a synchronous throw comes back wrapped in `Thrown`. */
  #call(handler: ((conn: Connection<unknown>, ...args: never[]) => unknown) | undefined, a?: unknown, b?: unknown): unknown {
    if (!handler) return undefined;
    try {
      return (handler as (conn: Connection<unknown>, a: unknown, b: unknown) => unknown)(this.connection, a, b);
    } catch (error) {
      return new Thrown(error);
    }
  }

  /**
   * Deals with a handler's outcome. With `thenRunQueue` (the inline paths), goes on with queued
   * tasks. Returns whether a promise is now pending.
   */
  #settle(handler: string, result: unknown, thenRunQueue = true): boolean {
    if (result instanceof Thrown) {
      this.#handlerFailed(handler, result.error);
    } else if (isThenable(result)) {
      result.then(
        () => this.#runQueue(),
        (error: unknown) => {
          this.#handlerFailed(handler, error);
          this.#runQueue();
        },
      );
      return true;
    }
    if (thenRunQueue) this.#runQueue();
    return false;
  }

  #handlerFailed(handler: string, thrown: unknown): void {
    // onerror only ever runs on a failed connection, so `#failed` covers it.
    if (handler === "onclose" || this.#failed) {
      this.#app.log(`${handler} handler threw on ${this.connection.url}`, thrown);
      return;
    }
    this.#failed = true;
    this.#queue = this.#queue?.filter((t) => t.kind !== "message" && t.kind !== "pong");
    this.#queuedPong = undefined;
    this.#backlog = 0;
    // With no onerror to show it, the bug would be invisible: a dropped connection, no stack.
    if (!this.#settings.handlers.onerror) this.#app.log(`${handler} handler threw on ${this.connection.url} (no onerror on this route)`, thrown);
    (this.#queue ??= []).unshift({ kind: "error", error: handlerError(handler, thrown) });
    this.close(CloseCode.INTERNAL_ERROR, WIRE_REASON_1011);
    this.#resumeReading();
  }
}

class Thrown {
  readonly error: unknown;
  constructor(error: unknown) {
    this.error = error;
  }
}
