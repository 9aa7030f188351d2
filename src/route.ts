import type {
  AcceptResult,
  CloseHandler,
  DataOf,
  DrainHandler,
  ErrorHandler,
  MessageHandler,
  OpenHandler,
  OriginPolicy,
  PongHandler,
  RouteHandlers,
  SocketOptions,
} from "./handlers.ts";
import { checkFragments, checkIdleTimeout, checkOrigins, checkPayloadLimit, checkSlowReader } from "./limits.ts";
import type { ConnectionSettings } from "./connection_settings.ts";
import type { CompiledPattern } from "./path.ts";
import { checkDeflateOptions, type DeflateOptions } from "./protocol/deflate_params.ts";

/** What the core keeps per registered route. */
export interface RouteRecord {
  readonly compiled: CompiledPattern;
  readonly handlers: RouteHandlers;
  readonly options: SocketOptions;
  /** The route's subprotocols, in the server's order of preference. */
  subprotocols: readonly string[];
  /** Its connections' settings, resolved on first use (`settingsOf`); cleared when an option changes. */
  settings?: ConnectionSettings | undefined;
}

/**
 * The chainable builder `app.ws(pattern)` returns, like Crow's `CROW_WEBSOCKET_ROUTE`.
 * Each handler may be set once; `onaccept` fixes the type of `conn.data` for the others.
 *
 * @typeParam Params - the `params` object of the route's pattern.
 * @typeParam Data - the type of `conn.data`, inferred from what `onaccept` returns.
 */
export class WebSocketRoute<Params, Data = undefined> {
  readonly #record: RouteRecord;

  /** @internal Routes are created by `app.ws(pattern)`. */
  constructor(record: RouteRecord) {
    this.#record = record;
  }

  /** Sets one option; connections opened from now on see it (the resolved settings are made anew). */
  #option<K extends keyof SocketOptions>(name: K, value: SocketOptions[K]): void {
    this.#record.options[name] = value;
    this.#record.settings = undefined;
  }

  #set(name: keyof RouteHandlers, handler: unknown): void {
    if (typeof handler !== "function") {
      throw new TypeError(`${name} on route ${this.#record.compiled.pattern} must be a function`);
    }
    if (this.#record.handlers[name]) {
      throw new TypeError(`${name} is already registered on route ${this.#record.compiled.pattern}`);
    }
    (this.#record.handlers as Record<string, unknown>)[name] = handler;
  }

  /**
   * Decides whether to upgrade (see {@link AcceptResult}). Whatever it returns as `data`
   * becomes `conn.data`, typed for the handlers registered after it ({@link DataOf}: with
   * `undefined` added where it may accept without data).
   */
  onaccept<R extends AcceptResult<unknown> | Promise<AcceptResult<unknown>>>(
    handler: (req: Request, params: Params, offered: readonly string[]) => R,
  ): WebSocketRoute<Params, DataOf<Awaited<R>>> {
    this.#set("onaccept", handler);
    return this as unknown as WebSocketRoute<Params, DataOf<Awaited<R>>>;
  }

  /** Runs once per connection after the 101 response, before any `onmessage`. */
  onopen(handler: OpenHandler<Data, Params>): this {
    this.#set("onopen", handler);
    return this;
  }

  /** Runs once per complete message, in arrival order. */
  onmessage(handler: MessageHandler<Data, Params>): this {
    this.#set("onmessage", handler);
    return this;
  }

  /** Runs at most once, before `onclose`, with the error that fails the connection. */
  onerror(handler: ErrorHandler<Data, Params>): this {
    this.#set("onerror", handler);
    return this;
  }

  /** Runs exactly once for every opened connection, last of all. */
  onclose(handler: CloseHandler<Data, Params>): this {
    this.#set("onclose", handler);
    return this;
  }

  /**
   * Runs when a connection whose `send` returned `"backpressure"` has written its buffer out:
   * the moment to resume sending. Not one of Crow's handlers.
   */
  ondrain(handler: DrainHandler<Data, Params>): this {
    this.#set("ondrain", handler);
    return this;
  }

  /**
   * Runs when a pong arrives: the answer to {@link Connection.ping}, or a client's own
   * heartbeat. In order with the messages. Not one of Crow's handlers. Deno's native adapter
   * never reports pongs (Deno answers and consumes them itself); serve with `rookery/node` there
   * to see them.
   *
   * @example
   * ```ts
   * app.ws("/live")
   *   .onopen((conn) => void conn.ping("t0"))
   *   .onpong((conn, data) => console.log(conn.id, "answered", new TextDecoder().decode(data)));
   * ```
   */
  onpong(handler: PongHandler<Data, Params>): this {
    this.#set("onpong", handler);
    return this;
  }

  /**
   * Per-route message limit in bytes (see {@link SocketOptions.maxPayload}); `Infinity`
   * disables the app's limit for this route.
   */
  maxPayload(bytes: number): this {
    this.#option("maxPayload", checkPayloadLimit(bytes, `maxPayload of route ${this.#record.compiled.pattern}`));
    return this;
  }

  /** Slow-reader bound for this route (see {@link SocketOptions.maxBufferedAmount}). */
  maxBufferedAmount(bytes: number): this {
    this.#option("maxBufferedAmount", checkPayloadLimit(bytes, `maxBufferedAmount of route ${this.#record.compiled.pattern}`));
    return this;
  }

  /** Most data frames a message may arrive in on this route (see {@link SocketOptions.maxFragments}). */
  maxFragments(count: number): this {
    this.#option("maxFragments", checkFragments(count, `maxFragments of route ${this.#record.compiled.pattern}`));
    return this;
  }

  /** Inbound flow-control bound for this route, in bytes (see {@link SocketOptions.maxBacklog}). */
  maxBacklog(bytes: number): this {
    this.#option("maxBacklog", checkPayloadLimit(bytes, `maxBacklog of route ${this.#record.compiled.pattern}`));
    return this;
  }

  /** What happens to a send over `maxBufferedAmount` (see {@link SocketOptions.slowReader}). */
  slowReader(policy: "close" | "drop"): this {
    this.#option("slowReader", checkSlowReader(policy));
    return this;
  }

  /**
   * Browser origins allowed on this route (see {@link SocketOptions.allowedOrigins}); others get
   * 403 before `onaccept`.
   */
  allowedOrigins(policy: OriginPolicy): this {
    this.#option("allowedOrigins", checkOrigins(policy, `allowedOrigins of route ${this.#record.compiled.pattern}`));
    return this;
  }

  /** Idle timeout for this route, in seconds (see {@link SocketOptions.idleTimeout}; not on Bun). */
  idleTimeout(seconds: number): this {
    this.#option("idleTimeout", checkIdleTimeout(seconds, `idleTimeout of route ${this.#record.compiled.pattern}`));
    return this;
  }

  /**
   * Compression on this route (see {@link SocketOptions.perMessageDeflate}): `true`, options, or
   * `false` to turn an app-wide setting off here.
   */
  perMessageDeflate(setting: boolean | DeflateOptions = true): this {
    this.#option("perMessageDeflate", checkDeflateOptions(setting, `perMessageDeflate of route ${this.#record.compiled.pattern}`));
    return this;
  }

  /** Accept unmasked client frames on this route (see {@link SocketOptions.allowUnmaskedFrames}). */
  allowUnmaskedFrames(allow = true): this {
    this.#option("allowUnmaskedFrames", allow);
    return this;
  }

  /**
   * Subprotocols this route speaks, most preferred first. The first one the client offers
   * is selected, unless `onaccept` returns its own choice. Without a match none is selected.
   */
  subprotocols(protocols: readonly string[]): this {
    for (const p of protocols) {
      if (typeof p !== "string" || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(p)) {
        throw new TypeError(`Subprotocol ${JSON.stringify(p)} is not a valid HTTP token`);
      }
    }
    this.#record.subprotocols = [...protocols];
    return this;
  }
}
