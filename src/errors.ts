import { CloseCode, type CloseCodeValue } from "./close_codes.ts";
import { tooBigMessage } from "./limits.ts";
import type { SocketFailure } from "./socket_port.ts";

const NAMES: Record<number, string> = {
  [CloseCode.PROTOCOL_ERROR]: "ProtocolError",
  [CloseCode.ABNORMAL]: "ConnectionLostError",
  [CloseCode.INVALID_PAYLOAD]: "InvalidPayloadError",
  [CloseCode.POLICY_VIOLATION]: "PolicyViolationError",
  [CloseCode.MESSAGE_TOO_BIG]: "MessageTooBigError",
  [CloseCode.INTERNAL_ERROR]: "HandlerError",
};

/**
 * The error passed to `onerror`: why a connection failed, with the close code that ends it.
 *
 * `name` is stable per code (`ProtocolError` 1002, `ConnectionLostError` 1006,
 * `InvalidPayloadError` 1007, `PolicyViolationError` 1008, `MessageTooBigError` 1009,
 * `HandlerError` 1011), so it can be matched on; `message` says what happened.
 */
export class WebSocketError extends Error {
  /** The close code this failure ends the connection with (or 1006 for a lost transport). */
  readonly code: CloseCodeValue;

  /** Sets `name` from `code` (see above); `options.cause` is the underlying error, such as what a handler threw. */
  constructor(code: CloseCodeValue, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = NAMES[code] ?? "WebSocketError";
  }
}

/** The 1008 failure of a connection whose send buffer is over `maxBufferedAmount` (the slow-reader policy). */
export function slowReaderError(bound: number): WebSocketError {
  return new WebSocketError(CloseCode.POLICY_VIOLATION, `Send buffer over ${bound} bytes: the client reads too slowly`);
}

/** Wraps whatever a handler threw as the 1011 error `onerror` receives. */
export function handlerError(handler: string, thrown: unknown): WebSocketError {
  const detail = thrown instanceof Error ? thrown.message : String(thrown);
  return new WebSocketError(CloseCode.INTERNAL_ERROR, `${handler} handler threw: ${detail}`, {
    cause: thrown,
  });
}

/**
 * The error `onerror` receives for what an adapter observed. `limits` are the connection's
 * bounds, which the messages name.
 */
export function failureError(failure: SocketFailure, limits: { maxPayload: number; maxBufferedAmount: number }): WebSocketError {
  switch (failure.kind) {
    case "protocol":
      return new WebSocketError(failure.code, failure.detail);
    case "tooBig":
      return new WebSocketError(CloseCode.MESSAGE_TOO_BIG, tooBigMessage(limits.maxPayload));
    case "slowReader":
      return slowReaderError(limits.maxBufferedAmount);
    case "idle":
      return new WebSocketError(CloseCode.ABNORMAL, `Idle timeout: ${failure.detail}`);
    case "lost":
      return new WebSocketError(CloseCode.ABNORMAL, failure.detail, { cause: failure.cause });
    case "internal":
      return new WebSocketError(CloseCode.INTERNAL_ERROR, "internal error");
  }
}
