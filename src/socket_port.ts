/**
 * The adapter seam, as types: what an adapter implements on its native socket (`SocketPort`)
 * and what it reports about it to the core (`SocketEvents`, implemented by the connection lifecycle).
 */
import type { SendStatus } from "./connection.ts";
import type { WebSocketError } from "./errors.ts";
import type { NativeTopics } from "./topics.ts";

/** The few operations an adapter implements on its native socket. */
export interface SocketPort {
  /** Sends one text (`string`) or binary message. */
  send(message: string | Uint8Array): SendStatus;
  /** Sends a close frame with `code` and `reason` and ends the socket once the peer answers. */
  close(code: number, reason: string): void;
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
  /** A complete message arrived. */
  message(message: string | Uint8Array, isBinary: boolean): void;
  /**
   * The socket failed: a protocol error found by the codec or the runtime (the core sends
   * the close frame with `error.code`), or a lost transport (1006, nothing is sent).
   */
  fail(error: WebSocketError): void;
  /**
   * The connection is over. `code`/`reason` are the peer's close frame (1005 when it had no
   * code) or 1006 when the transport ended without one.
   */
  closed(code: number, reason: string): void;
  /** The send buffer has drained after a `"backpressure"` send. */
  drain(): void;
  /**
   * The server closes the connection itself (shutdown, idle timeout), with any code that may
   * be sent, such as 1001; `conn.close` only takes application codes.
   */
  close(code: number, reason: string): void;
}
