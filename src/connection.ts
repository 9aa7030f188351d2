import { isWireCloseCode } from "./close_codes.ts";
import { utf8Length } from "./limits.ts";

/**
 * What `conn.send` did with a message:
 * - `"sent"`: written, or accepted into the runtime's send buffer;
 * - `"backpressure"`: accepted, but the buffer is over its high-water mark, so slow down;
 * - `"dropped"`: not sent, because the connection is closing or closed.
 */
export type SendStatus = "sent" | "backpressure" | "dropped";

/** `conn.readyState` values, as in the WHATWG WebSocket API. */
export const ReadyState = {
  /** Never seen on a `Connection`: Rookery makes one only once the upgrade is accepted. */
  CONNECTING: 0,
  /** Open: messages flow both ways. */
  OPEN: 1,
  /** A close frame was sent or received; the closing handshake is under way. */
  CLOSING: 2,
  /** Closed: `onclose` has run or is running. */
  CLOSED: 3,
} as const;

/** One of the {@link ReadyState} values. */
export type ReadyStateValue = (typeof ReadyState)[keyof typeof ReadyState];

/** What `send` and `publish` take: text as `string`, binary as a `Uint8Array`, `ArrayBuffer` or view. */
export type MessageData = string | Uint8Array | ArrayBuffer | ArrayBufferView;

/** Normalises a message to `string | Uint8Array`; a `TypeError` for anything else. */
export function toMessage(message: MessageData): string | Uint8Array {
  if (typeof message === "string" || message instanceof Uint8Array) return message;
  if (message instanceof ArrayBuffer) return new Uint8Array(message);
  if (ArrayBuffer.isView(message)) return new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
  throw new TypeError(`A message is a string or bytes, got ${typeof message}`);
}

/** @internal What a `Connection` asks of the connection lifecycle that owns it. */
export interface ConnectionControl {
  send(message: string | Uint8Array): SendStatus;
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
  publish(topic: string, message: string | Uint8Array): void;
  readonly topics: ReadonlySet<string>;
  close(code: number, reason: string): void;
  ping(payload: Uint8Array): SendStatus;
  terminate(): void;
  readonly readyState: ReadyStateValue;
  readonly bufferedAmount: number;
}

/** @internal The fixed facts of a connection, known once the upgrade is accepted (the handshake's `Acceptance` has them). */
export interface ConnectionInit<Data, Params> {
  readonly url: string;
  readonly params: Params;
  readonly data: Data;
  readonly protocol: string;
  /** Over HTTP/2 (RFC 8441) rather than an HTTP/1.1 upgrade. */
  readonly extendedConnect?: boolean | undefined;
}

let counter = 0;
const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

/**
 * One WebSocket connection, the same object in every handler for its whole life.
 *
 * @typeParam Data - the type of {@link Connection.data}, inferred from `onaccept`.
 * @typeParam Params - the route's path parameters.
 */
export class Connection<Data = undefined, Params = Record<string, string>> {
  /** The request URL of the handshake, including the query string. */
  readonly url: string;
  /** The route's path parameters, percent-decoded. Read-only: a static route's connections share one frozen empty object. */
  readonly params: Params;
  /** The selected subprotocol, `""` when none was selected. */
  readonly protocol: string;
  /**
   * What the WebSocket runs over: `"2"` for a stream of an HTTP/2 connection (RFC 8441, the Node
   * adapter's `http2`), `"1.1"` for an HTTP/1.1 upgrade.
   */
  readonly httpVersion: "1.1" | "2";
  /** The peer's IP address, when the runtime reports it. */
  readonly remoteAddress: string | undefined;
  /** Per-connection user data: what `onaccept` returned as `data` (writable). */
  data: Data;
  readonly #control: ConnectionControl;
  // The id's number: the string is made when asked for (a string per idle connection otherwise).
  readonly #serial: number;

  /** @internal Connections are created by the core when an upgrade is accepted. */
  constructor(init: ConnectionInit<Data, Params>, remoteAddress: string | undefined, control: ConnectionControl) {
    this.#serial = ++counter;
    this.url = init.url;
    this.params = init.params;
    this.protocol = init.protocol;
    this.httpVersion = init.extendedConnect ? "2" : "1.1";
    this.remoteAddress = remoteAddress;
    this.data = init.data;
    this.#control = control;
  }

  /** Unique within this process: `"c" + a counter`. */
  get id(): string {
    return `c${this.#serial}`;
  }

  /** `OPEN` (1) until a close starts, then `CLOSING` (2), then `CLOSED` (3). */
  get readyState(): ReadyStateValue {
    return this.#control.readyState;
  }

  /** Bytes queued for sending and not yet handed to the operating system. */
  get bufferedAmount(): number {
    return this.#control.bufferedAmount;
  }

  /**
   * Sends a text (`string`) or binary (`Uint8Array`, `ArrayBuffer`, any `ArrayBufferView`)
   * message. Never throws for a closed connection: it returns `"dropped"` instead.
   * Throws a `TypeError` for any other type of value.
   */
  send(message: MessageData): SendStatus {
    return this.#control.send(toMessage(message));
  }

  /** Subscribes to `topic` (a no-op if already subscribed or closed). Ends with the connection. */
  subscribe(topic: string): void {
    this.#control.subscribe(checkTopic(topic));
  }

  /** Leaves `topic` (a no-op if not subscribed). */
  unsubscribe(topic: string): void {
    this.#control.unsubscribe(checkTopic(topic));
  }

  /** Whether this connection is subscribed to `topic`. */
  isSubscribed(topic: string): boolean {
    return this.#control.topics.has(topic);
  }

  /** The topics this connection is subscribed to. */
  get topics(): string[] {
    return [...this.#control.topics];
  }

  /**
   * Sends `message` to every subscriber of `topic` except this connection, on every instance
   * of the app. This connection need not be subscribed itself.
   */
  publish(topic: string, message: MessageData): void {
    this.#control.publish(checkTopic(topic), toMessage(message));
  }

  /**
   * Sends a ping with `data` (at most 125 bytes; a string as its UTF-8) for the client to answer
   * with a pong, which `onpong` sees. Returns `"dropped"` once closing, and on Deno's native
   * adapter, whose WebSocket cannot send pings (serve with `rookery/node` there). Throws a
   * `RangeError` for more than 125 bytes (RFC 6455 §5.5).
   */
  ping(data: MessageData = EMPTY): SendStatus {
    const payload = toMessage(data);
    const bytes = typeof payload === "string" ? encoder.encode(payload) : payload;
    if (bytes.byteLength > 125) throw new RangeError(`A ping carries at most 125 bytes, got ${bytes.byteLength}`);
    return this.#control.ping(bytes);
  }

  /**
   * Drops the connection at once, without the closing handshake (for a peer that is gone or
   * misbehaving). `onclose` follows with 1006; no `onerror`, since the server chose it. Does
   * nothing once closed. On Deno's native adapter, which cannot drop a connection, the socket is
   * closed instead and `onclose` still runs at once.
   */
  terminate(): void {
    this.#control.terminate();
  }

  /**
   * Starts the closing handshake. `code` is any code a server may send (RFC 6455 §7.4): 1000
   * (default), 1001-1003, 1007-1014 (such as 1008 for a policy violation) or 3000-4999;
   * `reason` is at most 123 bytes of UTF-8. Throws a `RangeError` otherwise (1005, 1006 and
   * 1015 are only ever reported). Does nothing once closing.
   */
  close(code: number = 1000, reason: string = ""): void {
    if (!isWireCloseCode(code)) {
      throw new RangeError(`Close code must be 1000-1003, 1007-1014 or 3000-4999, got ${code}`);
    }
    if (utf8Length(reason) > 123) {
      throw new RangeError(`Close reason must be at most 123 bytes of UTF-8, got ${utf8Length(reason)}`);
    }
    this.#control.close(code, reason);
  }
}

/** Topics are non-empty strings; a `TypeError` otherwise. */
export function checkTopic(topic: string): string {
  if (typeof topic !== "string" || topic === "") throw new TypeError(`A topic is a non-empty string, got ${JSON.stringify(topic)}`);
  return topic;
}
