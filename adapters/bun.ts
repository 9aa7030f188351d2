/**
 * Rookery on Bun: WebSocket routes served through `Bun.serve` and its native `websocket`
 * handlers.
 *
 * Bun docs: https://bun.sh/docs/api/websockets
 *
 * Rookery checks the handshake itself before asking Bun to upgrade (Bun upgrades requests
 * without `Connection: Upgrade`), and never lets Bun pick a subprotocol the route did not
 * choose (Bun echoes the client's first offer by default). Bun's `maxPayloadLength` is per
 * server: Rookery sets it to the largest effective route limit (2^32 bytes, Bun's ceiling,
 * when a route is unlimited, so Bun's 16 MiB default never applies silently); smaller route
 * limits are checked on each message's arrival and close with 1009.
 *
 * Compression (permessage-deflate) is Bun's own: Bun negotiates, deflates and inflates (checking
 * inflated sizes against `maxPayloadLength`). Its option is per server ({@link bunDeflate}): on
 * when the app or any route enables compression. The rest follows each route (measured on Bun
 * 1.4.5):
 * - Negotiation: Bun answers from the request's `Sec-WebSocket-Extensions`, which Rookery
 *   replaces, before the upgrade, with what it agrees to on that route, or removes, so that a
 *   route with compression off declines. Bun writes the answer itself; Rookery adds none.
 * - Sends: Bun compresses a send only when asked to, so Rookery asks for the messages of at
 *   least the route's `threshold` bytes.
 * - Publishes through Bun's native pub/sub carry one flag for all subscribers: compressed only
 *   when every subscriber that agreed to compression would have the message compressed.
 *
 * Per server on Bun: whether compression is on at all (a route that turns it on after the server
 * started is served uncompressed, logged once), and the compressor and decompressor sizes, which
 * cap the windows and set zlib's memory. Bun has no `level` or `memLevel`, and cannot pair
 * `server_no_context_takeover` with a server window under 15 bits (the window gives way when only
 * the route asks for it; a client that asks for both is declined).
 *
 * @example
 * ```ts
 * import { Rookery } from "rookery";
 * import { serve } from "rookery/bun";
 * const app = new Rookery();
 * app.ws("/echo").onmessage((conn, msg) => conn.send(msg));
 * const server = await serve(app, { port: 8080 });
 * ```
 * @module
 */
import type { Rookery } from "../src/app.ts";
import { CloseCode, type CloseCodeValue } from "../src/close_codes.ts";
import { DEFAULT_IDLE_TIMEOUT } from "../src/limits.ts";
import type { ResolvedDeflate } from "../src/protocol/deflate_params.ts";
import type { RouteRecord } from "../src/route.ts";
import type { SocketFailure } from "../src/socket_port.ts";
import { type HostAnswer, ServerHost } from "../src/server_host.ts";
import type { NativeServer } from "../src/topics.ts";
import { type Acceptance, closingConnection, deflateSetting, type FetchHandler, textResponse } from "../src/upgrade.ts";
import { bunDeflate, compressesPublish, steerNegotiation } from "./bun/deflate.ts";
import { bunBufferLimit, published } from "./bun/slow_readers.ts";
import { ours, RookeryData } from "./bun/socket_data.ts";
import type { BunCompressorSize, BunGlobal, BunServer, BunSocket, BunSocketData, BunWebSocketHandlers } from "./bun/types.ts";

export type { BunCompressorSize, BunServer, BunSocket, BunSocketData, BunWebSocketHandlers, FetchHandler };
export { bunDeflate };

/**
 * Answers plain HTTP requests on paths with no WebSocket route. It gets Bun's `Server` as its
 * second argument, as `Bun.serve`'s own `fetch` does (Hono's `getConnInfo` reads the client
 * address through it).
 */
export type BunFetchHandler = (request: Request, server: BunServer) => Response | Promise<Response>;

/**
 * Bun allows one `websocket` object per server. These are the user's handlers for the sockets
 * their own `fetch` upgraded (with their own `data`); Rookery hands those sockets to them.
 */
export interface ForeignSocketHandlers {
  /** Bun's `open`: the socket is open. */
  open?(ws: BunSocket<unknown>): void;
  /** Bun's `message`: text as `string`, binary as Bun's `Buffer` (a `Uint8Array`). */
  message?(ws: BunSocket<unknown>, message: string | Uint8Array): void;
  /** Bun's `drain`: the socket can take more after a send reported backpressure. */
  drain?(ws: BunSocket<unknown>): void;
  /** Bun's `pong`: a pong arrived. */
  pong?(ws: BunSocket<unknown>, data: Uint8Array): void;
  /** Bun's `close`: the connection is over, with the close code and reason. */
  close?(ws: BunSocket<unknown>, code: number, reason: string): void;
}

/** Options of {@link handlers}. */
export interface BunHandlersOptions {
  /** Handlers for the sockets the server upgrades itself, not through Rookery. Default: none (they are left alone). */
  websocket?: ForeignSocketHandlers;
}

// Bun's global, declared here (its shape in ./bun/types.ts) so this file type-checks anywhere
// (deno check, the npm build) without Bun's types.
declare const Bun: BunGlobal;

/** Options of {@link serve}. */
export interface BunServeOptions {
  /** TCP port; 0 picks a free one. Default: 0. */
  port?: number;
  /** Address to bind. Default: `"0.0.0.0"`. */
  hostname?: string;
  /** Answers plain HTTP requests on paths that are not WebSocket routes. Default: 404. */
  fetch?: BunFetchHandler;
  /**
   * Milliseconds `close()` waits for connections to finish closing (plus one second). Default: 5000. (A peer that
   * never finishes a closing handshake is released by Bun at its `idleTimeout`: Bun 1.4 has no
   * way to drop a socket it already reported closed.)
   */
  closeTimeout?: number;
  /**
   * Lets several processes listen on this port (SO_REUSEPORT): the kernel spreads new
   * connections over them. That spreading is Linux's behaviour; other systems differ. Default: false.
   */
  reusePort?: boolean;
}

/** A running server. */
export interface BunServerHandle {
  /** The bound port (useful with `port: 0`). */
  readonly port: number;
  /** The address asked for in {@link BunServeOptions.hostname} (`"0.0.0.0"` by default). */
  readonly hostname: string;
  /** The underlying Bun server. */
  readonly server: BunServer;
  /** Closes every WebSocket with 1001 "server shutting down", waits for them, stops the server. */
  close(): Promise<void>;
}

/** The largest `maxPayloadLength` Bun accepts (it must be an integer; 2^53 throws). */
const BUN_MAX_PAYLOAD = 2 ** 32;
/**
 * When Bun ends a connection itself it hands the server's `close` handler 1006 and a reason
 * (measured on Bun 1.4.5): for a bad frame, bad UTF-8 or a message too big the client got a close
 * frame with that reason, and for an idle timeout the peer is dead. The reason is the only clue; a
 * plain drop has none. Each reason Bun's binary holds maps to the failure it reports; the comment
 * is the code Bun sent the client, each triggered from a raw client (test/bun/adapter_test.ts).
 */
const BUN_FAILURES: readonly [prefix: string, code: CloseCodeValue | "tooBig" | "idle"][] = [
  ["Received too big message", "tooBig"], // 1009
  ["Received invalid UTF-8", CloseCode.INVALID_PAYLOAD], // 1007
  ["Received invalid compressed data", CloseCode.INVALID_PAYLOAD], // 1007: a payload that does not inflate
  ["Received an incorrectly masked frame", CloseCode.PROTOCOL_ERROR], // 1002
  ["Received unexpected RSV", CloseCode.PROTOCOL_ERROR], // 1002: "RSV1 bit", "RSV2 or RSV3 bit"
  ["Received invalid opcode", CloseCode.PROTOCOL_ERROR], // 1002
  ["Received too big control frame", CloseCode.PROTOCOL_ERROR], // 1002
  ["Received continuation frame", CloseCode.PROTOCOL_ERROR], // 1002: "... outside a fragmented message"
  ["Received new message inside a fragmented message", CloseCode.PROTOCOL_ERROR], // 1002
  ["Received invalid close code", CloseCode.PROTOCOL_ERROR], // 1002
  ["Received invalid close payload", CloseCode.PROTOCOL_ERROR], // 1002: a 1-byte close payload
  ["Received fragmented control frame", CloseCode.PROTOCOL_ERROR], // 1002
  // Bun sends 1011 when it cannot allocate a message within the limit (measured: about 1 GiB into a
  // 2^32 - 1 byte frame with a 7 GB address-space cap). The contract's code for a message the engine
  // cannot hold is 1009, as on Node; the reason stays Bun's, not the route limit's, since the limit
  // was not passed.
  ["Received message that does not fit in memory", CloseCode.MESSAGE_TOO_BIG],
  ["WebSocket timed out", "idle"],
];

/** The failure behind a close Bun reported as 1006, if its reason names one. */
function bunFailure(code: number, reason: string): SocketFailure | undefined {
  if (code !== CloseCode.ABNORMAL || !reason) return undefined;
  const known = BUN_FAILURES.find(([prefix]) => reason.startsWith(prefix))?.[1];
  if (known === undefined) return undefined;
  if (known === "tooBig" || known === "idle") return known === "idle" ? { kind: "idle", detail: reason } : { kind: "tooBig" };
  return { kind: "protocol", code: known, detail: reason };
}

/** Bun's per-server limit for `app`: its largest effective route limit, within Bun's range. */
export function bunPayloadLimit(app: Rookery): number {
  return Math.max(1, Math.min(app.largestPayloadLimit(), BUN_MAX_PAYLOAD));
}

/** One `NativeServer` per Bun server, so the core publishes once per server. */
const nativeServers = new WeakMap<BunServer, NativeServer>();

function nativeServerOf(server: BunServer): NativeServer {
  let native = nativeServers.get(server);
  if (!native) {
    const self: NativeServer = {
      publish: (topic, message) => published(self, topic, server.publish(topic, message, compressesPublish(self, topic, message))),
    };
    nativeServers.set(server, (native = self));
  }
  return native;
}

type BunHost = ServerHost<BunServer>;

function isEmpty(headers: Headers): boolean {
  for (const _ of headers.keys()) return false;
  return true;
}

/** The upgrade Bun does itself: `undefined` once upgraded, as Bun's `fetch` expects. */
function upgrade(
  host: BunHost,
  req: Request,
  server: BunServer,
  acceptance: Acceptance,
  deflate: ResolvedDeflate | false,
  serverCompresses: boolean,
): Response | undefined {
  // An empty value stops Bun from echoing the client's first offer.
  const protocol = req.headers.has("sec-websocket-protocol");
  let headers: Headers | undefined;
  if (protocol || (acceptance.headers && !isEmpty(acceptance.headers))) {
    headers = new Headers(acceptance.headers);
    if (protocol) headers.set("sec-websocket-protocol", acceptance.protocol);
  }
  // A server started without compression negotiates none: the client's offer can stay as sent.
  const agreed = serverCompresses ? steerNegotiation(req, deflate) : undefined;
  const data = new RookeryData(acceptance, nativeServerOf(server), agreed && { threshold: agreed.threshold, topics: new Set() });
  try {
    if (server.upgrade(req, headers ? { data, headers } : { data })) return undefined;
  } catch (error) {
    // Never Bun's development error page (paths, source lines, a stack), whatever NODE_ENV is.
    return host.failedRequest(error);
  }
  return textResponse(400, "WebSocket upgrade failed", { connection: "close" });
}

function bunHandlers(host: BunHost, foreign: ForeignSocketHandlers = {}) {
  const { app } = host;
  const perMessageDeflate = bunDeflate(app);
  const warned = new WeakSet<RouteRecord>();
  // Bun fixes compression when the server starts: a route added later cannot turn it on.
  const deflateOf = (route: RouteRecord): ResolvedDeflate | false => {
    const setting = deflateSetting(route, app);
    if (!setting || perMessageDeflate) return setting;
    if (!warned.has(route)) {
      warned.add(route);
      app.log(
        `Route ${route.compiled.pattern} has perMessageDeflate on, but this Bun server started without compression ` +
          "(Bun's option is per server, fixed when it starts): its connections are served uncompressed",
      );
    }
    return false;
  };
  const reply = (answer: HostAnswer, req: Request, server: BunServer): Response | undefined => {
    if (answer.kind === "accept") {
      return upgrade(host, req, server, answer.acceptance, deflateOf(answer.acceptance.route), perMessageDeflate !== false);
    }
    return answer.endsConnection ? closingConnection(answer.response) : answer.response;
  };
  // An upgrade with nothing to wait for is answered within the call: no promise per handshake.
  const fetch = (req: Request, server: BunServer): Response | undefined | Promise<Response | undefined> => {
    const answer = host.handle(req, server);
    return answer instanceof Promise ? answer.then((a) => reply(a, req, server)) : reply(answer, req, server);
  };

  // The user's handlers run inside Bun's socket events: a throw is theirs to see in the log, never Bun's.
  const passOn = (event: string, call: () => void): void => {
    try {
      call();
    } catch (error) {
      app.log(`websocket ${event} handler threw on a socket Rookery did not accept`, error);
    }
  };

  const websocket: BunWebSocketHandlers = {
    maxPayloadLength: bunPayloadLimit(app),
    perMessageDeflate,
    // Per server and in whole seconds: the app-wide value.
    idleTimeout: Math.ceil(app.options.idleTimeout ?? DEFAULT_IDLE_TIMEOUT),
    // Per server, so the largest route bound: Bun then never drops what a route still allows,
    // and each route's own bound and policy decide, before each send (the core) and after each
    // publish Bun reports backpressured (./bun/slow_readers.ts). Bun never closes on its own: it
    // would report a plain 1006 drop, and send the client no close frame (measured on 1.4.5).
    backpressureLimit: bunBufferLimit(app),
    closeOnBackpressureLimit: false,
    open(ws) {
      if (!ours(ws)) return passOn("open", () => foreign.open?.(ws));
      const data = ws.data;
      data.opened(ws);
      const events = (data.events = host.connect(data.acceptance!, data, ws.remoteAddress));
      // What the connection needs of the handshake is in it now; the rest (headers, the route's
      // options) would stay alive with the socket.
      data.acceptance = undefined;
      events.open();
    },
    message(ws, message) {
      if (!ours(ws)) return passOn("message", () => foreign.message?.(ws, message));
      const events = ws.data.events!;
      if (typeof message === "string") events.message(message, false);
      // A plain Uint8Array view over Bun's Buffer, so messages are the same type on every runtime.
      else events.message(new Uint8Array(message.buffer, message.byteOffset, message.byteLength), true);
    },
    drain(ws) {
      if (!ours(ws)) return passOn("drain", () => foreign.drain?.(ws));
      ws.data.events?.drain();
    },
    pong(ws, data) {
      if (!ours(ws)) return passOn("pong", () => foreign.pong?.(ws, data));
      // A plain Uint8Array view over Bun's Buffer, as messages are.
      ws.data.events?.pong(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    },
    close(ws, code, reason) {
      if (!ours(ws)) return passOn("close", () => foreign.close?.(ws, code, reason));
      // Bun unsubscribes a closed socket itself, and the core no longer asks it to.
      ws.data.forgetTopics();
      const events = ws.data.events;
      if (!events) return;
      // Bun has closed the socket already: the core's own close frame is a no-op here.
      const failure = bunFailure(code, reason);
      if (failure) events.fail(failure);
      events.closed(code, reason);
    },
  };
  return { fetch, websocket };
}

/**
 * The `{ fetch, websocket }` pair for `Bun.serve`: WebSocket routes are upgraded, other
 * requests go to `fallback` (404 without one). Sockets your own `fetch` upgrades (with your own
 * `data`) go to `options.websocket`, since Bun takes one `websocket` object per server.
 * `app.close()` shuts Rookery's connections down.
 *
 * @example
 * ```ts
 * const rookery = handlers(app, undefined, { websocket: { message: (ws, m) => void ws.sendText(`mine: ${String(m)}`) } });
 * Bun.serve({
 *   fetch: (req, server) => new URL(req.url).pathname === "/mine" && server.upgrade(req, { data: {} })
 *     ? undefined
 *     : rookery.fetch(req, server),
 *   websocket: rookery.websocket,
 * });
 * ```
 */
export function handlers(
  app: Rookery,
  fallback?: BunFetchHandler,
  options: BunHandlersOptions = {},
): {
  fetch: (req: Request, server: BunServer) => Response | undefined | Promise<Response | undefined>;
  websocket: BunWebSocketHandlers;
} {
  return bunHandlers(new ServerHost(app, { fetch: fallback }), options.websocket);
}

/**
 * Starts `Bun.serve` for `app`.
 *
 * @example
 * ```ts
 * const server = await serve(app, { port: 8080, fetch: () => new Response("Hello") });
 * // Later:
 * await server.close();
 * ```
 */
export function serve(app: Rookery, options: BunServeOptions = {}): Promise<BunServerHandle> {
  const hostname = options.hostname ?? "0.0.0.0";
  let server: BunServer;
  let host: BunHost;
  try {
    host = new ServerHost(app, options);
    server = Bun.serve({
      port: options.port ?? 0,
      hostname,
      reusePort: options.reusePort ?? false,
      ...bunHandlers(host),
      // Bun's own answer to a throw is a development page with paths and source lines.
      error: (error) => host.failedRequest(error),
    });
  } catch (error) {
    // Bun throws where Node and Deno reject (a port in use): the same promise everywhere.
    return Promise.reject(error);
  }
  return Promise.resolve({
    port: server.port ?? 0,
    hostname,
    server,
    async close() {
      // Stop listening first; Bun's stop(false) resolves only once every connection is gone,
      // so it is not awaited here (that would wait for the closes issued just below).
      Promise.resolve(server.stop(false)).catch(() => {});
      await host.close();
      await server.stop(true);
    },
  });
}
