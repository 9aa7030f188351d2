/**
 * Rookery on Node: WebSocket routes on a `node:http` (or `node:https`) server, with
 * Rookery's own RFC 6455 codec (Node has no server-side WebSocket).
 *
 * Node docs for the pieces used: https://nodejs.org/api/http.html#event-upgrade
 *
 * The payload limit is enforced at the frame header: a frame whose declared length would take
 * the message past the route's `maxPayload` closes the connection with 1009 before any of
 * its payload is buffered.
 *
 * @example
 * ```ts
 * import { Rookery } from "rookery";
 * import { serve } from "rookery/node";
 * const app = new Rookery();
 * app.ws("/echo").onmessage((conn, msg) => conn.send(msg));
 * const server = await serve(app, { port: 8080 });
 * ```
 * @module
 */
import process from "node:process";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import { createSecureServer, type Http2SecureServer, type Http2Server } from "node:http2";
import type { Duplex } from "node:stream";
import type { Rookery } from "../src/app.ts";
import { checkCloseTimeout, ServerHost } from "../src/server_host.ts";
import { answerPlainRequest, badHostResponse, type FetchHandler } from "../src/upgrade.ts";
import { supportsReusePort } from "./node/reuse_port.ts";
import { listenStreams } from "./node/http2.ts";
import { lacksHost, listenUpgrades, type NodeHost, upgrade } from "./node/upgrade.ts";
import { sendResponse, toRequest } from "./node/web_bridge.ts";

export type { FetchHandler };

/**
 * Answers plain HTTP requests on paths with no WebSocket route. It gets node:http's request and
 * response as its second argument, `{ incoming, outgoing }`, as `@hono/node-server` passes them
 * (Hono's `getConnInfo` reads the client address from `incoming`).
 */
export type NodeFetchHandler = (request: Request, env: { incoming: IncomingMessage; outgoing: ServerResponse }) => Response | Promise<Response>;

/**
 * Options of every Node entry point. {@link attach}, {@link attachHttp2} and {@link handleUpgrade}
 * take only these: plain requests stay with the caller's server, so `fetch` is {@link serve}'s alone.
 */
export interface NodeAdapterOptions {
  /**
   * Milliseconds to wait for the peer's half of the closing handshake before the socket is
   * destroyed. Shutdown waits for every connection at most this long plus one second (each
   * connection's own timer fires first). Default: 5000.
   */
  closeTimeout?: number;
}

/** Options of {@link serve}. */
export interface ServeOptions extends NodeAdapterOptions {
  /** Answers plain HTTP requests on paths that are not WebSocket routes. Default: 404. */
  fetch?: NodeFetchHandler;
  /**
   * Milliseconds a client has to send its whole request head (handshake included); slower
   * clients (slowloris) get 408 and are dropped. Node's own default is 60 s, checked only every
   * 30 s. Default: 10000.
   */
  handshakeTimeout?: number;
  /** Largest request head in bytes; larger ones get 431. Default: Node's, 16 KiB. */
  maxHeaderSize?: number;
  /** TCP port; 0 picks a free one. Default: 0. */
  port?: number;
  /** Address to bind. Default: `"0.0.0.0"`. */
  hostname?: string;
  /**
   * Lets several processes listen on this port (SO_REUSEPORT): the kernel spreads new
   * connections over them. Needs Node 22.12 or later (older versions would ignore it, so
   * `serve` rejects there) and Linux or a BSD (elsewhere `serve` rejects with Node's error).
   * Default: false.
   */
  reusePort?: boolean;
  /**
   * Serve over TLS (`wss://`, `https://`) with this certificate and key (PEM). Without it,
   * plain `ws://` and `http://`. Default: none.
   */
  tls?: { cert: string; key: string };
  /**
   * With `tls`: also speak HTTP/2 on the same port (ALPN), with WebSockets over it as extended
   * CONNECT streams (RFC 8441); HTTP/1.1 clients and upgrades are still served. Default: false.
   */
  http2?: boolean;
  /**
   * With `http2`: most streams one client connection may have open at once (plain requests and
   * WebSockets together); HTTP/2 refuses more. Default: 100.
   */
  maxStreams?: number;
}

/** A running server. */
export interface ServerHandle {
  /** The bound port (useful with `port: 0`). */
  readonly port: number;
  /** The address asked for in {@link ServeOptions.hostname} (`"0.0.0.0"` by default). */
  readonly hostname: string;
  /** The underlying server: `node:http`'s, `node:https`'s with `tls`, `node:http2`'s with `http2`. */
  readonly server: Server | HttpsServer | Http2SecureServer;
  /**
   * Stops accepting connections, closes every open WebSocket with 1001 "server shutting down",
   * waits for them to finish (at most `closeTimeout` plus one second), then resolves.
   */
  close(): Promise<void>;
}

/** What {@link attach} returns: a way to close the WebSockets it accepted. */
export interface Attachment {
  /** Closes every WebSocket accepted through this attachment (1001) and waits for them. */
  close(): Promise<void>;
}

/** Rookery's own codec reads every socket here, compression included. */
const TRAITS = { deflate: true };

/** Answers a plain HTTP request: a WebSocket route's path gets 426 or 400, any other the fallback's answer. */
async function answer(host: NodeHost, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let request: Request;
  try {
    if (lacksHost(req)) throw new TypeError("no Host header");
    request = toRequest(req, true);
  } catch {
    // No Host, or one no URL can be built from (answerPlainRequest answers the other malformed ones).
    await sendResponse(res, badHostResponse(), false).catch(() => res.destroy());
    return;
  }
  try {
    const response = answerPlainRequest(host.app, request) ?? (await host.fallback(request, { incoming: req, outgoing: res }));
    await sendResponse(res, response, req.method === "HEAD");
  } catch (error) {
    host.app.log(`HTTP request failed on ${req.url ?? "?"}`, error);
    if (!res.headersSent) res.writeHead(400, { "content-type": "text/plain" }).end("Bad Request\n");
    else res.destroy();
  }
}


/** The host `handleUpgrade` calls share per app: it has no options of its own (each call brings them). */
const upgradeHosts = new WeakMap<Rookery, NodeHost>();

/**
 * Handles one `upgrade` event for frameworks that own the server. Resolves `false` when no
 * WebSocket route matches the path (the socket is left untouched for the caller), `true`
 * when Rookery answered the request (upgraded or refused). `options` apply to this call
 * (`closeTimeout` for the connection it opens); `app.close()` shuts its connections down.
 * Never rejects; an invalid `closeTimeout` throws a `RangeError` at the call, like a bad option
 * to `serve`, so it shows in the first test rather than as a refused client (a `fetch` option, a
 * `TypeError`: plain requests are the caller's).
 *
 * @example
 * ```ts
 * server.on("upgrade", async (req, socket, head) => {
 *   if (await handleUpgrade(app, req, socket, head)) return;
 *   socket.destroy(); // or hand it to another WebSocket server
 * });
 * ```
 */
export function handleUpgrade(
  app: Rookery,
  req: IncomingMessage,
  socket: Duplex,
  head: Uint8Array,
  options: NodeAdapterOptions = {},
): Promise<boolean> {
  refuseFetch(options, "handleUpgrade");
  let host = upgradeHosts.get(app);
  if (!host) upgradeHosts.set(app, (host = new ServerHost(app, {}, TRAITS)));
  return Promise.resolve(upgrade(host, req, socket, head, checkCloseTimeout(options.closeTimeout ?? host.closeTimeout)));
}

/**
 * Serves `app`'s WebSocket routes on an existing `node:http`/`node:https` server. Only
 * upgrades are handled; plain requests stay with the server's own `request` handler. An upgrade
 * to a path with no WebSocket route is left to the server's other `upgrade` listeners (`ws`,
 * Vite's HMR, Socket.IO), or answered 404 when there is none.
 *
 * @example
 * ```ts
 * import { createServer } from "node:http";
 * const server = createServer((req, res) => res.end("Hello"));
 * const sockets = attach(app, server);
 * server.listen(8080);
 * // Later: close the WebSockets, then the server.
 * await sockets.close();
 * server.close();
 * ```
 */
export function attach(app: Rookery, server: Server | HttpsServer, options: NodeAdapterOptions = {}): Attachment {
  refuseFetch(options, "attach");
  const host: NodeHost = new ServerHost(app, options, TRAITS);
  listenUpgrades(host, server, true);
  return { close: () => host.close() };
}

/**
 * Serves `app`'s WebSocket routes over HTTP/2 (RFC 8441) on an existing `node:http2` server, and
 * over HTTP/1.1 upgrades too when it allows HTTP/1.1 (`allowHTTP1`). Create the server with
 * `settings: { enableConnectProtocol: true }`, without which browsers never open WebSockets over
 * it. Extended CONNECT streams with `:protocol websocket` are Rookery's; every other stream and
 * request stays with the server's own handlers. `onaccept` sees such a handshake as a `GET`
 * `Request` (CONNECT is a method `Request` forbids) with the stream's headers and its
 * `:authority` as `Host`.
 *
 * @example
 * ```ts
 * import { createSecureServer } from "node:http2";
 * const server = createSecureServer({ key, cert, allowHTTP1: true, settings: { enableConnectProtocol: true } });
 * const sockets = attachHttp2(app, server);
 * server.listen(8443);
 * // Later: close the WebSockets, then the server.
 * await sockets.close();
 * server.close();
 * ```
 */
export function attachHttp2(app: Rookery, server: Http2Server | Http2SecureServer, options: NodeAdapterOptions = {}): Attachment {
  refuseFetch(options, "attachHttp2");
  const host: NodeHost = new ServerHost(app, options, TRAITS);
  listenStreams(host, server, host.closeTimeout);
  // With allowHTTP1, HTTP/1.1 upgrades arrive as node:http's would.
  listenUpgrades(host, server as unknown as Server, true);
  return { close: () => host.close() };
}

/**
 * `fetch` is `serve`'s: the other entry points leave plain requests to the caller's server, so
 * one given to them (from JavaScript, past the types) would never run. Better a TypeError now.
 */
function refuseFetch(options: NodeAdapterOptions, entry: string): void {
  if ("fetch" in options && options.fetch !== undefined) {
    throw new TypeError(`${entry} takes no fetch option: plain requests stay with your server's own handlers (fetch is serve's)`);
  }
}

/** The server `serve` listens with: node:http, node:https with `tls`, node:http2 (and HTTP/1.1) with `http2`. */
function createNodeServer(host: NodeHost, options: ServeOptions): Server | HttpsServer | Http2SecureServer {
  const { tls, http2 = false } = options;
  if (http2 && !tls) throw new TypeError("http2 needs tls: browsers speak HTTP/2 only over TLS");
  const handshakeTimeout = options.handshakeTimeout ?? 10_000;
  const limits = {
    headersTimeout: handshakeTimeout,
    // Node checks its timeouts only this often (30 s by default), so a short timeout needs it short too.
    connectionsCheckingInterval: Math.min(1000, handshakeTimeout),
    ...(options.maxHeaderSize !== undefined ? { maxHeaderSize: options.maxHeaderSize } : {}),
  };
  const onRequest = (req: IncomingMessage, res: ServerResponse) => void answer(host, req, res);
  if (!tls) {
    const server = createServer(limits, onRequest);
    listenUpgrades(host, server, false);
    return server;
  }
  if (!http2) {
    const server = createHttpsServer({ ...limits, cert: tls.cert, key: tls.key }, onRequest);
    listenUpgrades(host, server, false);
    return server;
  }
  const maxStreams = options.maxStreams ?? 100;
  if (!Number.isInteger(maxStreams) || maxStreams < 1) throw new RangeError(`maxStreams must be a positive integer, got ${String(maxStreams)}`);
  const secure = {
    cert: tls.cert,
    key: tls.key,
    allowHTTP1: true,
    settings: {
      enableConnectProtocol: true,
      maxConcurrentStreams: maxStreams,
      ...(options.maxHeaderSize !== undefined ? { maxHeaderListSize: options.maxHeaderSize } : {}),
    },
  };
  // HTTP/1.1 clients on this port get node:http's head timeout (slowloris) too: Node's HTTP/2
  // server hands these options to its HTTP/1.1 side, though its types do not list them.
  const http1 = { headersTimeout: limits.headersTimeout, connectionsCheckingInterval: limits.connectionsCheckingInterval };
  const server = createSecureServer(Object.assign(secure, http1), onRequest as never);
  listenStreams(host, server, host.closeTimeout);
  listenUpgrades(host, server as unknown as Server, false);
  return server;
}

/**
 * Starts a `node:http` server for `app`; resolves once it listens.
 *
 * @example
 * ```ts
 * const server = await serve(app, { port: 8080, fetch: () => new Response("Hello") });
 * // Later:
 * await server.close();
 * ```
 */
export function serve(app: Rookery, options: ServeOptions = {}): Promise<ServerHandle> {
  if (options.reusePort && !supportsReusePort(process.versions.node)) {
    return Promise.reject(new TypeError(`reusePort needs Node 22.12 or later (this is ${process.versions.node}); older versions ignore it`));
  }
  let host: NodeHost;
  try {
    host = new ServerHost(app, options, TRAITS);
  } catch (error) {
    return Promise.reject(error);
  }
  let server: Server | HttpsServer | Http2SecureServer;
  try {
    server = createNodeServer(host, options);
  } catch (error) {
    return Promise.reject(error);
  }
  const hostname = options.hostname ?? "0.0.0.0";
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port: options.port ?? 0, host: hostname, reusePort: options.reusePort ?? false }, () => {
      server.off("error", reject);
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : (options.port ?? 0);
      resolve({
        port,
        hostname,
        server,
        async close() {
          const stopped = new Promise<void>((done) => server.close(() => done()));
          await host.close();
          if ("closeAllConnections" in server) server.closeAllConnections();
          await stopped;
        },
      });
    });
  });
}
