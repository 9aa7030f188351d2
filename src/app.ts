import { type Broker, checkBroker } from "./broker.ts";
import type { SocketOptions } from "./handlers.ts";
import { checkFragments, checkIdleTimeout, DEFAULT_CLOSE_TIMEOUT, SHUTDOWN_MARGIN, checkOrigins, checkPayloadLimit, checkSlowReader, effectivePayloadLimit } from "./limits.ts";
import { compilePattern, type PathParams, Router } from "./path.ts";
import { checkTopic, type MessageData, toMessage } from "./connection.ts";
import { type RouteRecord, WebSocketRoute } from "./route.ts";
import { TopicRegistry } from "./topics.ts";
import { OpenSockets } from "./open_sockets.ts";
import { PendingHandshakes } from "./pending_handshakes.ts";
import { CloseCode, SHUTDOWN_REASON } from "./close_codes.ts";

import type { Logger } from "./logger.ts";
import { checkDeflateOptions } from "./protocol/deflate_params.ts";

export type { Logger };

/** Options for {@link Rookery}: app-wide defaults every route may override. */
export interface RookeryOptions extends SocketOptions {
  /** Receives errors no handler can see. Default: `console.error`. A logger that throws is ignored (what it reported goes on). */
  logger?: Logger;
  /**
   * Carries `publish` to the other instances of this app and theirs to this one, so a topic
   * spans processes, machines and runtimes (`redisBroker` from `rookery/redis`). Default: none,
   * topics are local to this process.
   */
  broker?: Broker;
}

/**
 * A Rookery app: a set of WebSocket routes, served by a runtime adapter
 * (`rookery/node`, `rookery/deno`, `rookery/bun`).
 *
 * @example
 * ```ts
 * const app = new Rookery({ maxPayload: 1 << 20 });
 * app.ws("/echo").onmessage((conn, msg) => conn.send(msg));
 * ```
 */
export class Rookery {
  /** App-wide defaults (validated). */
  readonly options: Readonly<SocketOptions>;
  /** @internal The error sink for adapters and the lifecycle. */
  readonly log: Logger;
  /** @internal Route table; adapters go through `decideUpgrade`. */
  readonly routes: Router<RouteRecord> = new Router();
  /** @internal Topic subscriptions of every connection of this app. */
  readonly topics: TopicRegistry;
  /** @internal Every open connection of this app, whichever entry point accepted it. */
  readonly connections: OpenSockets = new OpenSockets();
  /** @internal Handshakes of this app whose `onaccept` promise is pending, whichever entry point has them. */
  readonly handshakes: PendingHandshakes = new PendingHandshakes();

  /**
   * Creates an app with no routes. `options` are checked here: an invalid value throws a
   * `RangeError` (a limit out of range) or a `TypeError` (anything else malformed).
   */
  constructor(options: RookeryOptions = {}) {
    const { logger, broker, ...socket } = options;
    if (socket.maxPayload !== undefined) checkPayloadLimit(socket.maxPayload, "maxPayload");
    if (socket.maxBufferedAmount !== undefined) checkPayloadLimit(socket.maxBufferedAmount, "maxBufferedAmount");
    if (socket.slowReader !== undefined) checkSlowReader(socket.slowReader);
    if (socket.maxBacklog !== undefined) checkPayloadLimit(socket.maxBacklog, "maxBacklog");
    if (socket.maxFragments !== undefined) checkFragments(socket.maxFragments, "maxFragments");
    if (socket.idleTimeout !== undefined) checkIdleTimeout(socket.idleTimeout, "idleTimeout");
    if (socket.allowedOrigins !== undefined) socket.allowedOrigins = checkOrigins(socket.allowedOrigins, "allowedOrigins");
    if (socket.perMessageDeflate !== undefined) socket.perMessageDeflate = checkDeflateOptions(socket.perMessageDeflate, "perMessageDeflate");
    this.options = socket;
    this.log = neverThrows(logger ?? ((message, error) => console.error(`[rookery] ${message}`, error ?? "")));
    this.topics = new TopicRegistry(broker === undefined ? undefined : checkBroker(broker), this.log);
  }

  /**
   * Registers a WebSocket route and returns its builder. Patterns: `/static`,
   * `/chat/:room`, `/files/*`. Throws a `TypeError` for a malformed or duplicate pattern.
   */
  ws<P extends string>(pattern: P): WebSocketRoute<PathParams<P>> {
    const compiled = compilePattern(pattern);
    const record: RouteRecord = { compiled, handlers: {}, options: {}, subprotocols: [] };
    this.routes.add(compiled, record);
    return new WebSocketRoute(record);
  }

  /** Sends `message` to every subscriber of `topic`, on every instance when a broker is set. */
  publish(topic: string, message: MessageData): void {
    this.topics.publish(checkTopic(topic), toMessage(message));
  }

  /** How many connections of this instance are subscribed to `topic`. */
  subscribers(topic: string): number {
    return this.topics.count(topic);
  }

  /** The largest effective `maxPayload` over all routes (`Infinity` if any is unlimited). */
  largestPayloadLimit(): number {
    const limits = this.routes.values().map((r) => effectivePayloadLimit(r.options.maxPayload, this.options.maxPayload));
    return limits.length === 0 ? effectivePayloadLimit(undefined, this.options.maxPayload) : Math.max(...limits);
  }

  /**
   * Closes every open connection of this app, whichever entry point accepted it (`serve`,
   * `attach`, `handleUpgrade`, Deno's `handler`, Bun's `handlers`), with 1001 "server shutting
   * down", like Crow's `app.stop()`. Resolves once each connection's `onclose` has been called,
   * or after `timeoutMs` (default 6 s: the adapters end a peer that does not answer within their
   * own close timeout, 5 s by default). Listening sockets are the caller's: stop them with the server.
   * A handshake whose `onaccept` promise is pending is refused (503) once decided, or dropped
   * at once where the adapter holds its socket (Node); requests that arrive later are served.
   */
  async close(timeoutMs: number = DEFAULT_CLOSE_TIMEOUT + SHUTDOWN_MARGIN): Promise<void> {
    this.handshakes.shutDown();
    await this.connections.closeAll(CloseCode.GOING_AWAY, SHUTDOWN_REASON, timeoutMs);
  }
}

/**
 * The logger as the core calls it: one that throws must not break what it reports on (a failed
 * handler's connection going on to onerror and onclose, a refused handshake's answer).
 */
function neverThrows(logger: Logger): Logger {
  return (message, error) => {
    try {
      logger(message, error);
    } catch {
      // The logger itself failed: there is nowhere left to report it.
    }
  };
}
