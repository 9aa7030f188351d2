/**
 * The adapter seam, as types: what an adapter implements on its native socket (`SocketPort`)
 * and what it reports about it to the core (`SocketEvents`, implemented by the connection lifecycle).
 */
import type { PreparedMessage } from "./prepared_message.ts";
import type { CloseCodeValue } from "./close_codes.ts";
import type { SendStatus } from "./connection.ts";
import type { NativeTopics } from "./topics.ts";

/**
 * Why a socket failed, as an adapter observes it. The core turns each into the
 * `WebSocketError` that `onerror` receives (`failureError` in errors.ts), so the names and
 * messages are the same on every runtime.
 */
export type SocketFailure =
  /** The peer broke the protocol or a limit (1002, 1007, 1008, 1009): the close frame carries `code`. */
  | { readonly kind: "protocol"; readonly code: CloseCodeValue; readonly detail: string }
  /** A message over the route's `maxPayload` (1009), found by the runtime or the codec. */
  | { readonly kind: "tooBig" }
  /** The send buffer is over `maxBufferedAmount` with `slowReader: "close"` (1008). */
  | { readonly kind: "slowReader" }
  /** Nothing from the peer within the idle timeout, ping unanswered: reported as 1006, no reason. */
  | { readonly kind: "idle"; readonly detail: string }
  /** The transport broke or ended without a close frame (1006, nothing is sent). */
  | { readonly kind: "lost"; readonly detail: string; readonly cause?: unknown }
  /** Rookery's own side of the socket failed (a bug): 1011, logged by the adapter. */
  | { readonly kind: "internal" };

/** The few operations an adapter implements on its native socket. */
export interface SocketPort {
  /** Sends one text (`string`) or binary message. */
  send(message: string | Uint8Array): SendStatus;
  /**
   * Sends a message prepared for many sockets (a publish), using its shared bytes. Only where
   * the adapter writes frames itself (Node); elsewhere the core sends `prepared.message`.
   */
  sendPrepared?(prepared: PreparedMessage): SendStatus;
  /** Sends a close frame with `code` and `reason` and ends the socket once the peer answers. */
  close(code: number, reason: string): void;
  /** Sends a ping frame (at most 125 bytes, checked by the core). Absent where the runtime cannot (Deno's native WebSocket). */
  sendPing?(payload: Uint8Array): SendStatus;
  /**
   * Drops the connection at once, with no closing handshake. The adapter then reports
   * `closed` (with any code: the core reports 1006); where the runtime cannot drop a
   * connection (Deno), it closes it as best it can and reports `closed` at once.
   */
  terminate(): void;
  /** Bytes queued and not yet written to the OS. */
  readonly bufferedAmount: number;
  /**
   * Stops reading from the socket (inbound flow control), so the transport pushes back on the
   * peer. Only where the runtime can: without it, the core fails a connection whose backlog
   * passes its bound with 1008.
   */
  pause?(): void;
  /** Reads again after `pause`; messages the codec still holds may be reported inside the call. */
  resume?(): void;
  /** The runtime's native pub/sub for this socket, when it has one (Bun). */
  readonly native?: NativeTopics;
}

/** What an adapter reports to the core about its socket. */
export interface SocketEvents {
  /**
   * The adapter holds these events and its port is ready: runs `onopen`. Called once, right
   * after `host.connect`; anything reported before it waits behind `onopen`.
   */
  open(): void;
  /** A complete message arrived. */
  message(message: string | Uint8Array, isBinary: boolean): void;
  /**
   * The socket failed: the core sends the close frame the failure calls for (none for a lost
   * transport or an idle peer) and runs `onerror`.
   */
  fail(failure: SocketFailure): void;
  /**
   * The connection is over. `code`/`reason` are the peer's close frame (1005 when it had no
   * code) or 1006 when the transport ended without one.
   */
  closed(code: number, reason: string): void;
  /** A pong arrived. */
  pong(payload: Uint8Array): void;
  /** The send buffer has drained after a `"backpressure"` send. */
  drain(): void;
  /**
   * The server closes the connection itself (shutdown, idle timeout), with any code that may
   * be sent, such as 1001; `conn.close` only takes application codes.
   */
  close(code: number, reason: string): void;
}
