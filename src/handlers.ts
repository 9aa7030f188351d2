import type { Connection } from "./connection.ts";
import type { WebSocketError } from "./errors.ts";
import type { DeflateOptions } from "./protocol/deflate_params.ts";

/** Anything `new Headers(...)` takes (spelled portably: not every runtime's types name `HeadersInit`). */
export type HeaderValues = ConstructorParameters<typeof Headers>[0];

/** Accept the connection and say how: the typed `data`, a subprotocol, extra 101 headers. */
export interface AcceptOptions<Data> {
  /** Becomes `conn.data` for this connection. */
  data?: Data;
  /**
   * The subprotocol to select; it must be one the client offered in
   * `Sec-WebSocket-Protocol`, or the handshake fails with 500.
   */
  protocol?: string;
  /** Extra headers for the 101 response (for example `Set-Cookie`). */
  headers?: HeaderValues;
}

/**
 * What `onaccept` returns: `false` rejects with 403; a `Response` is sent instead of the
 * upgrade; `true` or nothing accepts with `data` left `undefined`; an {@link AcceptOptions}
 * object accepts with that data, protocol and headers.
 */
export type AcceptResult<Data> = boolean | undefined | void | Response | AcceptOptions<Data>;

/**
 * The type of `conn.data` after an `onaccept` that returns `R`: the `data` of each object that
 * accepts, and `undefined` wherever it may accept without data (`true`, nothing, or an object
 * with no `data`). Refusals (`false`, a `Response`) open no connection and add nothing.
 */
export type DataOf<R> = R extends Response | false ? never
  : R extends { data: infer D } ? D
  : R extends { data?: infer D } ? D | undefined
  : undefined;

/** Runs before the upgrade; may be async. `offered` lists the client's subprotocols in order. */
export type AcceptHandler<Params, Data> = (
  req: Request,
  params: Params,
  offered: readonly string[],
) => AcceptResult<Data> | Promise<AcceptResult<Data>>;

/** Runs once, after the 101 response and before any message. */
export type OpenHandler<Data, Params> = (conn: Connection<Data, Params>) => unknown;

/** Runs once per complete message, in order: text as `string`, binary as `Uint8Array`. */
export type MessageHandler<Data, Params> = (
  conn: Connection<Data, Params>,
  message: string | Uint8Array,
  isBinary: boolean,
) => unknown;

/** Runs at most once, before `onclose`, when the connection fails. */
export type ErrorHandler<Data, Params> = (
  conn: Connection<Data, Params>,
  error: WebSocketError,
) => unknown;

/** Runs exactly once for every opened connection, last of all. */
export type CloseHandler<Data, Params> = (
  conn: Connection<Data, Params>,
  reason: string,
  code: number,
) => unknown;

/** Runs when a connection whose `send` returned `"backpressure"` has flushed its buffer. */
export type DrainHandler<Data, Params> = (conn: Connection<Data, Params>) => unknown;

/**
 * Runs when a pong arrives (the answer to `conn.ping()`, or a client's unsolicited heartbeat),
 * in order with the messages. While a handler is pending, only the latest pong waits.
 */
export type PongHandler<Data, Params> = (conn: Connection<Data, Params>, data: Uint8Array) => unknown;

/** The handler set of one route, as the connection lifecycle sees it. */
export interface RouteHandlers {
  onaccept?: AcceptHandler<Record<string, string>, unknown>;
  onopen?: OpenHandler<unknown, Record<string, string>>;
  onmessage?: MessageHandler<unknown, Record<string, string>>;
  onerror?: ErrorHandler<unknown, Record<string, string>>;
  onclose?: CloseHandler<unknown, Record<string, string>>;
  ondrain?: DrainHandler<unknown, Record<string, string>>;
  onpong?: PongHandler<unknown, Record<string, string>>;
}

/** Options that may be set on the app (defaults) and overridden per route. */
export interface SocketOptions {
  /**
   * Largest whole message, in bytes, after reassembly. Over it the connection closes with
   * 1009 and `onerror` runs. `Infinity` is no limit (Crow's default), as far as the runtime
   * allows; on a route it disables an app-wide limit. Default: 64 MiB.
   */
  maxPayload?: number;
  /**
   * Most data frames one message may arrive in, where Rookery's codec reads the socket (the Node
   * adapter; Deno's and Bun's own codecs keep fragments cheap themselves). Over it the connection
   * fails with 1008. A fragment costs memory even when empty, so this bounds a stream of endless
   * tiny fragments. `Infinity`: no bound. Default: 16,384.
   */
  maxFragments?: number;
  /**
   * Accept unmasked client frames (RFC 6455 §5.1 says the server must fail them). A
   * debugging aid, as Crow's default lax mode; honoured by the Node adapter. Default: `false`.
   */
  allowUnmaskedFrames?: boolean;
  /**
   * Slow-reader bound: once this many bytes wait in a connection's send buffer, further sends
   * to it (direct or through a topic) follow `slowReader`. Default: 16 MiB.
   */
  maxBufferedAmount?: number;
  /**
   * What a send to a connection over `maxBufferedAmount` does: `"close"` fails the connection
   * with 1008 (`onerror`, then `onclose`); `"drop"` skips the message and `send` returns
   * `"dropped"`. Default: `"close"`, so no message is lost silently.
   */
  slowReader?: "close" | "drop";
  /**
   * Inbound flow control: bytes of messages one connection may have received and not yet
   * handed to `onmessage` (they wait while an earlier handler's promise is pending). Each
   * waiting message counts its payload (text: its length in UTF-16 units) plus 128 bytes. A
   * message that arrives when nothing waits is always taken (`maxPayload` bounds it). Past the
   * bound, the Node adapter stops reading the socket until the backlog is back under half the
   * bound, so TCP pushes back on the client and nothing is lost; Deno's and Bun's sockets cannot
   * stop reading, so there the connection fails with 1008 (`onerror` with a
   * `PolicyViolationError`, then `onclose`). `Infinity` turns it off. Default: 1 MiB.
   */
  maxBacklog?: number;
  /**
   * Origins whose browser pages may connect: exact origins (`"https://example.com"`) or a
   * predicate. A handshake whose `Origin` is not allowed gets 403 before `onaccept` runs.
   * Requests without `Origin` (non-browser clients) pass. Default: off, so any web page can
   * open a socket to this route with its visitors' cookies (cross-site WebSocket hijacking):
   * set it wherever `onaccept` trusts cookies.
   */
  allowedOrigins?: OriginPolicy;
  /**
   * Seconds without any traffic from the client after which the server pings it; a client that
   * still sends nothing for as long again is dropped (`onerror` 1006, then `onclose`). `0`
   * turns it off; at most 960 (Bun's ceiling), else a `RangeError`. Default: 120 (Bun's and
   * Deno's own default). Bun applies the app-wide value only (its option is per server) and counts
   * in 4-second steps.
   */
  idleTimeout?: number;
  /**
   * Compression (permessage-deflate, RFC 7692) for clients that offer it (every browser does):
   * `true` for the defaults or {@link DeflateOptions}; on a route, `false` turns an app-wide
   * setting off. Rookery's codec compresses on the Node adapter (on Node, and on Deno through
   * `rookery/node`); Bun compresses natively (on for a server if the app or any route asks; each
   * route still decides what it agrees to and sends compressed; window sizes are per server);
   * Deno's native adapter cannot and refuses to start. Each compressing connection keeps zlib
   * contexts, made on first use (README, "Compression"). Default: `false`.
   */
  perMessageDeflate?: boolean | DeflateOptions;
}

/** Allowed origins: a list of exact origins, or a predicate over the request's `Origin`. */
export type OriginPolicy = readonly string[] | ((origin: string, request: Request) => boolean);
