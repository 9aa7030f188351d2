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
import { CloseCode, SHUTDOWN_REASON } from "../src/close_codes.ts";
import type { SendStatus } from "../src/connection.ts";
import { WebSocketError } from "../src/errors.ts";
import { openConnection } from "../src/lifecycle.ts";
import type { SocketEvents, SocketPort } from "../src/socket_port.ts";
import { OpenSockets } from "../src/open_sockets.ts";
import { type Acceptance, decideUpgrade, type FetchHandler, fallbackResponse, refusesUpgrade, textResponse } from "../src/upgrade.ts";

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
  readonly port: number;
  readonly hostname: string;
  /** The underlying `Deno.HttpServer`. */
  readonly server: Deno.HttpServer<Deno.NetAddr>;
  /** Closes every WebSocket with 1001 "server shutting down", waits for them, stops the server. */
  close(): Promise<void>;
}

/** The error Deno reports when a ping went unanswered within `idleTimeout` (Deno 2.9). */
const DENO_IDLE_TIMEOUT = "No response from ping frame.";

/** Milliseconds a close waits for the peer (and `close()` for every connection). */
const DEFAULT_CLOSE_TIMEOUT = 5000;

/** `send` reports backpressure once this many bytes wait in Deno's buffer. */
const HIGH_WATER_MARK = 16 * 1024;

/**
 * `response`, sent so that Deno ends the connection after it. Deno keeps a connection alive
 * whatever `Connection` says (measured on 2.9.6: a request pipelined behind a refused upgrade was
 * served), and a handler cannot close it; but Deno drops the connection when a response body
 * fails. So the body is streamed (chunked) and fails after its last byte: the client gets the
 * status, the headers and the whole text, then the end of the connection (no final chunk).
 */
function endingConnection(response: Response): Response {
  const headers = new Headers(response.headers);
  headers.delete("content-length");
  headers.set("connection", "close");
  const failAtEnd = new TransformStream<Uint8Array, Uint8Array>({
    flush(controller) {
      controller.error(new Error("the connection ends after a refused upgrade"));
    },
  });
  const body = (response.body ?? new Blob([]).stream()).pipeThrough(failAtEnd);
  return new Response(body, { status: response.status, statusText: response.statusText, headers });
}

/** Turns Deno's socket into the core's `SocketPort` and reports its events to the core. */
function wire(
  app: Rookery,
  acceptance: Acceptance,
  socket: WebSocket,
  remoteAddress: string | undefined,
  open: OpenSockets,
  closeTimeout: number,
): void {
  socket.binaryType = "arraybuffer";
  let events: SocketEvents | undefined;
  // Deno has no drain event: after a backpressured send, watch the buffer empty.
  let drainTimer: ReturnType<typeof setInterval> | undefined;
  let closeTimer: ReturnType<typeof setTimeout> | undefined;
  const watchDrain = () => {
    drainTimer ??= setInterval(() => {
      if (socket.bufferedAmount > HIGH_WATER_MARK) return;
      clearInterval(drainTimer);
      drainTimer = undefined;
      events?.drain();
    }, 10);
  };
  const port: SocketPort = {
    send(message): SendStatus {
      if (socket.readyState !== WebSocket.OPEN) return "dropped";
      socket.send(message);
      if (socket.bufferedAmount <= HIGH_WATER_MARK) return "sent";
      watchDrain();
      return "backpressure";
    },
    close(code, reason) {
      if (socket.readyState !== WebSocket.OPEN) return;
      socket.close(code, reason);
      // Deno waits for the peer's close frame without end, and JavaScript cannot abort the
      // socket: after closeTimeout the connection is reported closed (1006) so its lifecycle
      // ends; Deno frees the socket itself when its idle ping goes unanswered.
      closeTimer = setTimeout(() => {
        if (!events) return;
        events.closed(CloseCode.ABNORMAL, "");
        open.delete(events);
      }, closeTimeout);
    },
    get bufferedAmount() {
      return socket.bufferedAmount;
    },
  };
  socket.onopen = () => {
    events = openConnection(app, acceptance, port, remoteAddress).events;
    open.add(events);
  };
  socket.onmessage = (e: MessageEvent<string | ArrayBuffer>) => {
    const data = e.data;
    if (typeof data === "string") events?.message(data, false);
    else events?.message(new Uint8Array(data), true);
  };
  // Deno reports a dropped or broken connection (including protocol errors, which it
  // answers by dropping the TCP connection) as an error event, then a close with code 0.
  let idledOut = false;
  socket.onerror = (e: Event) => {
    const message = e instanceof ErrorEvent && e.message ? e.message : "WebSocket error";
    idledOut = message === DENO_IDLE_TIMEOUT;
    events?.fail(new WebSocketError(CloseCode.ABNORMAL, idledOut ? `Idle timeout: ${message}` : message));
  };
  socket.onclose = (e: CloseEvent) => {
    clearInterval(drainTimer);
    clearTimeout(closeTimer);
    if (!events) return;
    // Deno closes an idle connection with 1001 on the wire; Rookery reports a dead peer as 1006
    // on every runtime.
    events.closed(e.code === 0 || idledOut ? CloseCode.ABNORMAL : e.code, idledOut ? "" : e.reason);
    open.delete(events);
  };
}

function createHandler(app: Rookery, fallback: DenoFetchHandler | undefined, open: OpenSockets, closeTimeout: number) {
  const handle = async (req: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr> | undefined): Promise<Response> => {
    const remoteAddress = info?.remoteAddr.hostname;
    const decision = await decideUpgrade(app, req);
    if (decision.kind === "pass") {
      const response = await fallbackResponse(app, req, fallback && ((request) => fallback(request, info)));
      return refusesUpgrade(req, response) ? endingConnection(response) : response;
    }
    if (decision.kind === "respond") return endingConnection(decision.response);
    const { acceptance } = decision;
    const { socket, response } = Deno.upgradeWebSocket(req, {
      ...(acceptance.protocol ? { protocol: acceptance.protocol } : {}),
      idleTimeout: acceptance.idleTimeout,
    });
    for (const [name, value] of acceptance.headers) response.headers.set(name, value);
    wire(app, acceptance, socket, remoteAddress, open, closeTimeout);
    return response;
  };
  return async (req: Request, info?: Deno.ServeHandlerInfo<Deno.NetAddr>): Promise<Response> => {
    // Deno's `info` is only readable before the handler first awaits: a copy goes on.
    const known = info && { remoteAddr: info.remoteAddr, completed: info.completed };
    try {
      return await handle(req, known);
    } catch (error) {
      // Deno would answer 500 itself, with a stack in its log for every such request.
      app.log("WebSocket request failed", error);
      return endingConnection(textResponse(500, "Internal Server Error"));
    }
  };
}

/**
 * A handler for `Deno.serve`: WebSocket routes are upgraded, other requests go to `fallback`
 * (404 without one).
 */
export function handler(
  app: Rookery,
  fallback?: DenoFetchHandler,
): (req: Request, info?: Deno.ServeHandlerInfo<Deno.NetAddr>) => Promise<Response> {
  return createHandler(app, fallback, new OpenSockets(), DEFAULT_CLOSE_TIMEOUT);
}

/** Starts `Deno.serve` for `app` (Deno binds before `Deno.serve` returns). */
export function serve(app: Rookery, options: DenoServeOptions = {}): Promise<DenoServerHandle> {
  const open = new OpenSockets();
  const hostname = options.hostname ?? "0.0.0.0";
  const reusePort = options.reusePort ?? false;
  // Deno.listenDatagram exists only under --unstable-net, the flag reusePort needs.
  if (reusePort && !("listenDatagram" in Deno)) {
    return Promise.reject(new TypeError("reusePort needs Deno's --unstable-net flag (without it Deno exits at once)"));
  }
  const server = Deno.serve(
    // onListen replaces Deno's own "Listening on" line: a library does not print.
    { port: options.port ?? 0, hostname, onListen: () => {}, ...(reusePort ? { reusePort } : {}) },
    createHandler(app, options.fetch, open, options.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT),
  );
  return Promise.resolve({
    port: server.addr.port,
    hostname,
    server,
    async close() {
      await open.closeAll(CloseCode.GOING_AWAY, SHUTDOWN_REASON, options.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT);
      await server.shutdown();
    },
  });
}
