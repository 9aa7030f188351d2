/**
 * Rookery: Crow-style WebSocket routes for Deno, Bun and Node.
 *
 * This entry holds the runtime-agnostic core; serve an app with the adapter for your
 * runtime: `rookery/node`, `rookery/deno` or `rookery/bun`.
 *
 * @module
 */
export { type Logger, Rookery, type RookeryOptions } from "./src/app.ts";
export type { Broker, BrokerHost } from "./src/broker.ts";
export { WebSocketRoute } from "./src/route.ts";
export { Connection, type MessageData, ReadyState, type ReadyStateValue, type SendStatus } from "./src/connection.ts";
export { CloseCode, type CloseCodeValue } from "./src/close_codes.ts";
export { WebSocketError } from "./src/errors.ts";
export { httpVersionOf } from "./src/http_version.ts";
export type {
  AcceptHandler,
  AcceptOptions,
  AcceptResult,
  CloseHandler,
  DataOf,
  DrainHandler,
  ErrorHandler,
  HeaderValues,
  MessageHandler,
  OpenHandler,
  OriginPolicy,
  PongHandler,
  SocketOptions,
} from "./src/handlers.ts";
export type { ParamNames, PathParams } from "./src/path.ts";
export type { DeflateOptions } from "./src/protocol/deflate_params.ts";
