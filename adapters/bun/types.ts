/**
 * The parts of Bun's API the Bun adapter uses, written structurally so the published types need
 * no Bun type package (attw and consumers could not resolve `"bun"`, and `deno check` has no Bun
 * types); `test/bun/types_check.ts` checks them against Bun's own types. Also the record Rookery
 * keeps in Bun's `ws.data`, which those types carry.
 * @module
 */
import type { SocketEvents } from "../../src/socket_port.ts";
import type { NativeServer } from "../../src/topics.ts";
import type { Acceptance } from "../../src/upgrade.ts";

/** What Rookery uses of Bun's `Server`. */
export interface BunServer {
  /**
   * Upgrades `request` to a WebSocket whose `ws.data` is `options.data`, with `options.headers`
   * added to the 101 response. `false` when Bun refused (not a valid upgrade request).
   */
  upgrade(request: Request, options: { data: BunSocketData; headers?: Headers }): boolean;
  /**
   * Sends `data` to every socket of this server subscribed to `topic`, compressed for those that
   * agreed to compression when `compress` is true (Bun's default here). Returns 0 when dropped for
   * any subscriber or there were none, -1 on backpressure for any, otherwise the bytes sent.
   */
  publish(topic: string, data: string | Uint8Array, compress?: boolean): number;
  /** The bound port; `undefined` when the server listens on a Unix socket. */
  readonly port?: number | undefined;
  /**
   * Stops listening; with `closeActiveConnections`, also ends the open connections. Bun returns
   * a promise that settles once the connections are gone.
   */
  stop(closeActiveConnections?: boolean): unknown;
}

/**
 * What Rookery uses of Bun's `ServerWebSocket`. `D` is what `ws.data` holds: Rookery's record for
 * the sockets it accepted, whatever the user's own `server.upgrade` gave for the others.
 */
export interface BunSocket<D = BunSocketData> {
  /** What the upgrade attached to this socket (`server.upgrade`'s `data`). */
  readonly data: D;
  /** The WebSocket `readyState`: 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  /** The client's IP address. */
  readonly remoteAddress: string;
  /**
   * Sends a text message, compressed when `compress` is true and the client agreed to
   * compression. Returns -1 when queued with backpressure, 0 when dropped, otherwise the bytes sent.
   */
  sendText(message: string, compress?: boolean): number;
  /** Sends a binary message; `compress` and the result as for {@link BunSocket.sendText}. */
  sendBinary(message: Uint8Array, compress?: boolean): number;
  /** Starts the closing handshake with `code` and `reason`. */
  close(code?: number, reason?: string): void;
  /** Drops the connection at once, with no closing handshake. */
  terminate(): void;
  /** Sends a ping; the result as for {@link BunSocket.sendText}. */
  ping(data?: string | Uint8Array): number;
  /** Bytes queued to send and not yet written to the network. */
  getBufferedAmount(): number;
  /** Subscribes this socket to `topic` on Bun's native pub/sub. */
  subscribe(topic: string): void;
  /** Unsubscribes this socket from `topic`. */
  unsubscribe(topic: string): void;
  /**
   * Sends `message` to every other subscriber of `topic` on this server (never this socket);
   * `compress` and the result as for {@link BunSocket.sendText}.
   */
  publish(topic: string, message: string | Uint8Array, compress?: boolean): number;
}

/**
 * Bun's compressor and decompressor sizes Rookery uses. Each is a window (measured on Bun 1.4.5):
 * compressing, `"4KB"` answers `server_max_window_bits=9`, `"8KB"` 10 and so on to `"256KB"`, 15;
 * decompressing, `"3KB"` allows the client 11 bits, `"4KB"` 12, `"8KB"` 13, `"16KB"` 14, `"32KB"` 15.
 */
export type BunCompressorSize = "3KB" | "4KB" | "8KB" | "16KB" | "32KB" | "64KB" | "128KB" | "256KB";

/** The `websocket` handlers object for `Bun.serve`. */
export interface BunWebSocketHandlers {
  /** Largest message Bun accepts, in bytes, for every socket of the server: see `bunPayloadLimit`. */
  maxPayloadLength: number;
  /** Per server: see `bunDeflate`. */
  perMessageDeflate: false | { compress: BunCompressorSize; decompress: BunCompressorSize };
  /** Seconds of silence before Bun drops a socket: the app's `idleTimeout`, rounded up. */
  idleTimeout: number;
  /**
   * Bytes a socket may have queued before Bun drops what is sent to it: the largest effective
   * `maxBufferedAmount` of the app and its routes (0, Bun's "none", if one is `Infinity`). Each
   * route's own bound and `slowReader` policy apply below it.
   */
  backpressureLimit: number;
  /** Whether Bun closes a socket over `backpressureLimit`: always false, as Rookery applies `slowReader` itself. */
  closeOnBackpressureLimit: boolean;
  /** A socket opened: Rookery's connections start here; others go to the user's own `open`. */
  open(ws: BunSocket<unknown>): void;
  /** A complete message arrived on `ws`. */
  message(ws: BunSocket<unknown>, message: string | Uint8Array): void;
  /** `ws` can take more after a send reported backpressure. */
  drain(ws: BunSocket<unknown>): void;
  /** A pong arrived on `ws` (Bun answers pings itself). */
  pong(ws: BunSocket<unknown>, data: Uint8Array): void;
  /** `ws` closed, with the close code and reason Bun reports. */
  close(ws: BunSocket<unknown>, code: number, reason: string): void;
}

/**
 * Bun's global, as far as the adapter uses it. The adapter declares `Bun` with this type itself,
 * so it type-checks anywhere (deno check, the npm build) without Bun's types.
 */
export interface BunGlobal {
  serve(options: {
    port: number;
    hostname: string;
    reusePort: boolean;
    fetch: (req: Request, server: BunServer) => Response | undefined | Promise<Response | undefined>;
    error: (error: Error) => Response;
    websocket: BunWebSocketHandlers;
  }): BunServer;
}

/** What Rookery keeps in Bun's `ws.data`: one per socket, for its whole life. */
export interface BunSocketData {
  /** @internal The accepted handshake (route, params, `data`, limits), until the socket opens. */
  acceptance: Acceptance | undefined;
  /** @internal The connection's event sink, set when Bun opens the socket. */
  events: SocketEvents | undefined;
  /** @internal The server this socket belongs to, as the core's topics publish through it. */
  server: NativeServer;
  /**
   * permessage-deflate as agreed with this client, or `undefined`. Bun compresses the messages of
   * at least `threshold` bytes sent to it; `topics` are those it is subscribed to, where its
   * `threshold` holds back the compression of a publish (Bun compresses a publish once for all).
   */
  deflate: { readonly threshold: number; readonly topics: Set<string> } | undefined;
}
