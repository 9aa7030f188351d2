/**
 * Rookery on Deno: WebSocket routes served through `Deno.serve` and `Deno.upgradeWebSocket`.
 *
 * Deno docs: https://docs.deno.com/api/deno/~/Deno.upgradeWebSocket
 *
 * Rookery checks the handshake itself before asking Deno to upgrade (Deno accepts keys of the
 * wrong length, unknown versions and a missing version). Deno has no per-socket payload limit,
 * so a route's `maxPayload` is checked on each message's arrival (after Deno has buffered it)
 * and closes with 1009. Deno refuses frames of 64 MiB or more by dropping the connection, so an
 * unlimited route on Deno means "under 64 MiB".
 *
 * No compression: `Deno.upgradeWebSocket` cannot compress, and declines permessage-deflate. An
 * app whose `perMessageDeflate` is on, or with a route that turns it on, is refused: `serve`
 * rejects and `handler` throws, each with a `TypeError`. To compress on Deno, serve the app with
 * the Node adapter, which runs on Deno through its `node:http`: `import { serve } from
 * "rookery/node"`. A route that turns compression on after `handler` or `serve` was called is
 * served uncompressed, and logged once (`app.log`).
 *
 * @example
 * ```ts
 * import { Rookery } from "rookery";
 * import { serve } from "rookery/deno";
 * const app = new Rookery();
 * app.ws("/echo").onmessage((conn, msg) => conn.send(msg));
 * const server = await serve(app, { port: 8080 });
 * ```
 * @module
 */
import type { Rookery } from "../src/app.ts";
import { CloseCode } from "../src/close_codes.ts";
import type { SendStatus } from "../src/connection.ts";
import type { SocketEvents, SocketPort } from "../src/socket_port.ts";
import { type HostAnswer, ServerHost } from "../src/server_host.ts";
import type { RouteRecord } from "../src/route.ts";
import { type Acceptance, deflateSetting, type FetchHandler } from "../src/upgrade.ts";

export type { FetchHandler };

/**
 * Answers plain HTTP requests on paths with no WebSocket route. It gets Deno's
 * `ServeHandlerInfo` as its second argument, as a `Deno.serve` handler does (Hono's
 * `getConnInfo` reads the client address from it); `undefined` when the caller of
 * {@link handler} passed none.
 */
export type DenoFetchHandler = (request: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr> | undefined) => Response | Promise<Response>;

/** Options of {@link serve}. */
export interface DenoServeOptions {
  /** TCP port; 0 picks a free one. Default: 0. */
  port?: number;
  /** Address to bind. Default: `"0.0.0.0"`. */
  hostname?: string;
  /** Answers plain HTTP requests on paths that are not WebSocket routes. Default: 404. */
  fetch?: DenoFetchHandler;
  /**
   * Milliseconds a server-side close waits for the peer's answer before the connection is
   * reported closed (1006), and `close()` waits for every connection. Default: 5000.
   */
  closeTimeout?: number;
  /**
   * Lets several processes listen on this port (SO_REUSEPORT): the kernel spreads new
   * connections over them. Linux only, and Deno must run with `--unstable-net` (without it
   * Deno would end the process, so `serve` rejects with a `TypeError` first). Default: false.
   */
  reusePort?: boolean;
}

/** A running server. */
export interface DenoServerHandle {
  /** The bound port (useful with `port: 0`). */
  readonly port: number;
  /** The address asked for in {@link DenoServeOptions.hostname} (`"0.0.0.0"` by default). */
  readonly hostname: string;
  /** The underlying `Deno.HttpServer`. */
  readonly server: Deno.HttpServer<Deno.NetAddr>;
  /** Closes every WebSocket with 1001 "server shutting down", waits for them, stops the server. */
  close(): Promise<void>;
}

/** The error Deno reports when a ping went unanswered within `idleTimeout` (Deno 2.9). */
const DENO_IDLE_TIMEOUT = "No response from ping frame.";

/** `send` reports backpressure once this many bytes wait in Deno's buffer. */
const HIGH_WATER_MARK = 16 * 1024;

/**
 * `response`, sent so that Deno ends the connection after it. Deno keeps a connection alive
 * whatever `Connection` says (measured on 2.9.6: a request pipelined behind a refused upgrade was
 * served), and a handler cannot close it; but Deno drops the connection when a streamed body ends
 * short of its `Content-Length`. So the body is streamed under a length it never reaches: the
 * client gets the status, the headers and the whole text, then the end of the connection.
 * (A body that fails would end it too, but Deno prints every such failure with its stack: a log
 * line per refused request, for any client to flood.) A HEAD answer has no body, so this cannot
 * end its connection (README, "Runtime differences").
 */
function endingConnection(response: Response): Response {
  const headers = new Headers(response.headers);
  headers.set("content-length", UNREACHED_LENGTH);
  headers.set("connection", "close");
  // Through a stream of our own: Deno sends a body it knows whole (a string's) with its true length.
  const body = (response.body ?? new Blob([]).stream()).pipeThrough(new TransformStream());
  return new Response(body, { status: response.status, statusText: response.statusText, headers });
}

/** A `Content-Length` no refusal body reaches. */
const UNREACHED_LENGTH = String(Number.MAX_SAFE_INTEGER);

/** What to do instead when compression is asked of Deno's native WebSockets. */
const USE_NODE = 'serve the app with the Node adapter, which runs on Deno through node:http: import { serve } from "rookery/node"';

/**
 * The error for an app that asks for compression, which `Deno.upgradeWebSocket` cannot do, or
 * `undefined` when neither the app nor any of its routes asks.
 */
function compressionRefusal(app: Rookery): TypeError | undefined {
  const route = app.routes.values().find((r) => deflateSetting(r, app));
  const where = app.options.perMessageDeflate ? "app-wide" : route && `on route ${route.compiled.pattern}`;
  if (!where) return undefined;
  return new TypeError(`perMessageDeflate is on (${where}), but Deno.upgradeWebSocket cannot compress. For compression on Deno, ${USE_NODE}`);
}

/**
 * Deno's `ServeHandlerInfo` for a TCP server, the second argument of a `Deno.serve` handler
 * (the client address is `remoteAddr`).
 */
export type DenoInfo = Deno.ServeHandlerInfo<Deno.NetAddr>;
type DenoHost = ServerHost<DenoInfo | undefined>;

/**
 * The core's port over one Deno socket, and the listener of its events (`handleEvent`: one
 * object per socket, no closure per event or per connection).
 */
class DenoPort implements SocketPort {
  readonly #socket: WebSocket;
  readonly #host: DenoHost;
  readonly #remoteAddress: string | undefined;
  /** Until the socket opens; dropped then, so the handshake's leftovers do not live as long as the socket. */
  #acceptance: Acceptance | undefined;
  #events: SocketEvents | undefined;
  // Deno has no drain event: after a backpressured send, watch the buffer empty.
  #drainTimer: ReturnType<typeof setInterval> | undefined;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(host: DenoHost, acceptance: Acceptance, socket: WebSocket, remoteAddress: string | undefined) {
    this.#host = host;
    this.#acceptance = acceptance;
    this.#socket = socket;
    this.#remoteAddress = remoteAddress;
    socket.binaryType = "arraybuffer";
    for (const type of EVENTS) socket.addEventListener(type, this);
  }

  send(message: string | Uint8Array): SendStatus {
    const socket = this.#socket;
    if (socket.readyState !== WebSocket.OPEN) return "dropped";
    socket.send(message);
    if (socket.bufferedAmount <= HIGH_WATER_MARK) return "sent";
    this.#drainTimer ??= setInterval(watchDrain, 10, this);
    return "backpressure";
  }

  /** @internal Ten milliseconds passed while backpressured. */
  drainTick(): void {
    if (this.#socket.bufferedAmount > HIGH_WATER_MARK) return;
    clearInterval(this.#drainTimer);
    this.#drainTimer = undefined;
    this.#events?.drain();
  }

  close(code: number, reason: string): void {
    if (this.#socket.readyState !== WebSocket.OPEN) return;
    this.#socket.close(code, reason);
    // Deno waits for the peer's close frame without end, and JavaScript cannot abort the
    // socket: after closeTimeout the connection is reported closed (1006) so its lifecycle
    // ends; Deno frees the socket itself when its idle ping goes unanswered.
    this.#closeTimer = setTimeout(closeTimedOut, this.#host.closeTimeout, this);
  }

  /**
   * Deno cannot drop a connection from JavaScript: the socket is closed without a status (the
   * peer sees 1005, not a clean 1000) and the connection is reported gone at once.
   */
  terminate(): void {
    if (this.#socket.readyState === WebSocket.OPEN) this.#socket.close();
    this.#events?.closed(CloseCode.ABNORMAL, "");
  }

  /** @internal The peer never answered our close. */
  closeTimedOut(): void {
    this.#events?.closed(CloseCode.ABNORMAL, "");
  }

  get bufferedAmount(): number {
    return this.#socket.bufferedAmount;
  }

  /** @internal The socket's events. */
  handleEvent(e: Event): void {
    switch (e.type) {
      case "open":
        // Once only: the listener entry would otherwise stay with the socket.
        this.#socket.removeEventListener("open", this);
        this.#events = this.#host.connect(this.#acceptance!, this, this.#remoteAddress);
        this.#acceptance = undefined;
        this.#events.open();
        return;
      case "message": {
        const data = (e as MessageEvent<string | ArrayBuffer>).data;
        if (typeof data === "string") this.#events?.message(data, false);
        else this.#events?.message(new Uint8Array(data), true);
        return;
      }
      case "close": {
        clearInterval(this.#drainTimer);
        clearTimeout(this.#closeTimer);
        // No "error" listener: on Deno each listener costs a connection some 300 bytes, and the
        // close event tells the same. Deno reports a dropped or broken connection (protocol
        // errors included, which it answers by dropping TCP) as a close with code 0, which the
        // core reports as lost (1006), and an unanswered ping as 1001 with its own reason, not clean.
        const { code, reason, wasClean } = e as CloseEvent;
        if (!wasClean && reason === DENO_IDLE_TIMEOUT) this.#events?.fail({ kind: "idle", detail: reason });
        this.#events?.closed(code === 0 ? CloseCode.ABNORMAL : code, reason);
      }
    }
  }
}

const EVENTS = ["open", "message", "close"] as const;

function watchDrain(port: DenoPort): void {
  port.drainTick();
}

function closeTimedOut(port: DenoPort): void {
  port.closeTimedOut();
}

/** The `Deno.serve` handler of `host`. */
function denoHandler(host: DenoHost): (req: Request, info?: DenoInfo) => Response | Promise<Response> {
  const warned = new WeakSet<RouteRecord>();
  // Routes added after the start-up check: refusing them there is too late, failing their
  // upgrades would break a running server. Deno declines the offer itself.
  const declineCompression = (route: RouteRecord): void => {
    if (warned.has(route) || !deflateSetting(route, host.app)) return;
    warned.add(route);
    host.app.log(
      `Route ${route.compiled.pattern} has perMessageDeflate on, but Deno.upgradeWebSocket cannot compress: ` +
        `its connections are served uncompressed. For compression on Deno, ${USE_NODE}`,
    );
  };
  // An upgrade with nothing to wait for is answered within the call: no promise per handshake.
  return (req, info) => {
    // Deno's `info` is only readable before the handler first awaits: a copy goes on.
    const known = info && { remoteAddr: info.remoteAddr, completed: info.completed };
    const answer = host.handle(req, known);
    return answer instanceof Promise ? answer.then((a) => reply(a, req, known)) : reply(answer, req, known);
  };

  function reply(answer: HostAnswer, req: Request, known: DenoInfo | undefined): Response {
    if (answer.kind === "respond") return answer.endsConnection ? endingConnection(answer.response) : answer.response;
    const { acceptance } = answer;
    declineCompression(acceptance.route);
    try {
      const { socket, response } = Deno.upgradeWebSocket(req, { idleTimeout: acceptance.settings.idleTimeout });
      // The subprotocol goes on the 101 from here, not through Deno's `protocol` option: Deno
      // looks for it in the offer split at exactly ", " and throws for `a,b` (RFC 6455 allows any
      // whitespace around the commas, and the core has already checked the choice against the offer).
      if (acceptance.protocol) response.headers.set("sec-websocket-protocol", acceptance.protocol);
      // Most acceptances add no header (no `Headers` at all): nothing to copy for them.
      if (acceptance.headers) for (const [name, value] of acceptance.headers) response.headers.set(name, value);
      new DenoPort(host, acceptance, socket, known?.remoteAddr.hostname);
      return response;
    } catch (error) {
      // Deno would answer 500 itself, with a stack in its log for every such request.
      return endingConnection(host.failedRequest(error));
    }
  }
}

/**
 * A handler for `Deno.serve`: WebSocket routes are upgraded, other requests go to `fallback`
 * (404 without one). `app.close()` shuts its connections down.
 *
 * @throws {TypeError} when the app or one of its routes has `perMessageDeflate` on: Deno cannot
 * compress (see the module's documentation for the Node adapter, which can on Deno).
 *
 * @example
 * ```ts
 * const server = Deno.serve({ port: 8080 }, handler(app, () => new Response("Hello")));
 * // Later: close the WebSockets, then stop the server.
 * await app.close();
 * await server.shutdown();
 * ```
 */
export function handler(app: Rookery, fallback?: DenoFetchHandler): (req: Request, info?: DenoInfo) => Response | Promise<Response> {
  const refusal = compressionRefusal(app);
  if (refusal) throw refusal;
  return denoHandler(new ServerHost(app, { fetch: fallback }));
}

/**
 * Starts `Deno.serve` for `app` (Deno binds before `Deno.serve` returns). Rejects with a
 * `TypeError`, before binding, when the app or one of its routes has `perMessageDeflate` on
 * (see {@link handler}).
 *
 * @example
 * ```ts
 * const server = await serve(app, { port: 8080, fetch: () => new Response("Hello") });
 * // Later:
 * await server.close();
 * ```
 */
export function serve(app: Rookery, options: DenoServeOptions = {}): Promise<DenoServerHandle> {
  const refusal = compressionRefusal(app);
  if (refusal) return Promise.reject(refusal);
  const hostname = options.hostname ?? "0.0.0.0";
  const reusePort = options.reusePort ?? false;
  // Deno.listenDatagram exists only under --unstable-net, the flag reusePort needs.
  if (reusePort && !("listenDatagram" in Deno)) {
    return Promise.reject(new TypeError("reusePort needs Deno's --unstable-net flag (without it Deno exits at once)"));
  }
  let host: DenoHost;
  try {
    host = new ServerHost(app, options);
  } catch (error) {
    return Promise.reject(error);
  }
  const server = Deno.serve(
    // onListen replaces Deno's own "Listening on" line: a library does not print.
    { port: options.port ?? 0, hostname, onListen: () => {}, ...(reusePort ? { reusePort } : {}) },
    denoHandler(host),
  );
  return Promise.resolve({
    port: server.addr.port,
    hostname,
    server,
    async close() {
      await host.close();
      await server.shutdown();
    },
  });
}
