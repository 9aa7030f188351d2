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
  upgrade(request: Request, options: { data: BunSocketData; headers?: Headers }): boolean;
  publish(topic: string, data: string | Uint8Array, compress?: boolean): number;
  readonly port?: number | undefined;
  stop(closeActiveConnections?: boolean): unknown;
}

/**
 * What Rookery uses of Bun's `ServerWebSocket`. `D` is what `ws.data` holds: Rookery's record for
 * the sockets it accepted, whatever the user's own `server.upgrade` gave for the others.
 */
export interface BunSocket<D = BunSocketData> {
  readonly data: D;
  readonly readyState: number;
  readonly remoteAddress: string;
  sendText(message: string, compress?: boolean): number;
  sendBinary(message: Uint8Array, compress?: boolean): number;
  close(code?: number, reason?: string): void;
  getBufferedAmount(): number;
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
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
  maxPayloadLength: number;
  /** Per server: see `bunDeflate`. */
  perMessageDeflate: false | { compress: BunCompressorSize; decompress: BunCompressorSize };
  idleTimeout: number;
  backpressureLimit: number;
  closeOnBackpressureLimit: boolean;
  open(ws: BunSocket<unknown>): void;
  message(ws: BunSocket<unknown>, message: string | Uint8Array): void;
  drain(ws: BunSocket<unknown>): void;
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
    fetch: (req: Request, server: BunServer) => Promise<Response | undefined>;
    error: (error: Error) => Response;
    websocket: BunWebSocketHandlers;
  }): BunServer;
}

/** What Rookery keeps in Bun's `ws.data`: one per socket, for its whole life. */
export interface BunSocketData {
  acceptance: Acceptance;
  events: SocketEvents | undefined;
  /** The server this socket belongs to, as the core's topics publish through it. */
  server: NativeServer;
  /**
   * permessage-deflate as agreed with this client, or `undefined`. Bun compresses the messages of
   * at least `threshold` bytes sent to it; `topics` are those it is subscribed to, where its
   * `threshold` holds back the compression of a publish (Bun compresses a publish once for all).
   */
  deflate: { readonly threshold: number; readonly topics: Set<string> } | undefined;
}
