/** Conversions between node:http and web-standard `Request`/`Response`. */
import { hash } from "node:crypto";
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { markHttp2 } from "../../src/http_version.ts";
import { ACCEPT_GUID } from "../../src/protocol/handshake.ts";
import type { UpgradeRequest } from "../../src/upgrade.ts";

/**
 * `Sec-WebSocket-Accept` for `key` (RFC 6455 §4.2.2): base64(SHA-1(key + GUID)). node:crypto
 * hashes synchronously; WebCrypto would cost a promise per handshake.
 */
export function acceptValue(key: string): string {
  // One-shot: no Hash object per handshake.
  return hash("sha1", key.trim() + ACCEPT_GUID, "base64");
}

/** The request's absolute URL, from its target and `Host` (throws a `TypeError` when none can be built). */
function urlOf(req: IncomingMessage): URL {
  // An HTTP/2 request (node:http2's compatibility layer) names its host in `:authority`.
  return absoluteUrl(req, req.headers.host ?? (req.headers[":authority"] as string | undefined) ?? "localhost");
}

/** The request's target made absolute with `host` and the connection's scheme; a `TypeError` when it cannot be. */
function absoluteUrl(req: IncomingMessage, host: string): URL {
  const encrypted = (req.socket as { encrypted?: boolean }).encrypted === true;
  return targetUrl(req.url ?? "/", `${encrypted ? "https" : "http"}://${host}`);
}

/**
 * A request target (RFC 9112 §3.2) as an absolute URL on `origin`. An origin-form target
 * (`/path`) is a path whatever follows its first slash, so it is joined to the origin as text:
 * resolved as a relative URL, `//other/admin` or `/\other/admin` would name another host and
 * route as `/admin`. Any other form (absolute-form, which names its own host) is resolved.
 * Throws a `TypeError` when no URL can be made.
 */
export function targetUrl(target: string, origin: string): URL {
  return target.startsWith("/") ? new URL(origin + target) : new URL(target, origin);
}

/** A web `Request` for a node:http request; the body streams only when `withBody`. */
export function toRequest(req: IncomingMessage, withBody: boolean, url: URL = urlOf(req)): Request {
  const headers = new Headers();
  const raw = req.rawHeaders;
  let authority: string | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    // HTTP/2 pseudo-headers (`:method`, `:path`, …) are in the URL and method already.
    if (name.charCodeAt(0) !== 0x3a) headers.append(name, raw[i + 1]!);
    else if (name === ":authority") authority ??= raw[i + 1];
  }
  // HTTP/2 names the host only as `:authority`; handlers read it as `Host`, as over HTTP/1.1.
  if (authority !== undefined && !headers.has("host")) headers.set("host", authority);
  const method = req.method ?? "GET";
  const hasBody = withBody && method !== "GET" && method !== "HEAD";
  const request = new Request(url, {
    method,
    headers,
    body: hasBody ? (Readable.toWeb(req) as unknown as ReadableStream<Uint8Array>) : null,
    // Required by the fetch spec for a streamed request body.
    ...(hasBody ? { duplex: "half" } : {}),
  } as RequestInit);
  // A plain HTTP/2 request (node:http2's compatibility layer) answers "2" to `httpVersionOf`.
  return req.httpVersionMajor === 2 ? markHttp2(request) : request;
}

/**
 * node:http's upgrade request as the core's `UpgradeRequest`, read from `rawHeaders`: node:http's
 * `headers` object (every name lower-cased into a new object) is never built for it. `undefined`
 * when the request names no Host and must (RFC 9112 §3.2: HTTP/1.0 may omit it). Throws a
 * `TypeError` when no URL can be made of its target and Host.
 */
export function upgradeRequestOf(req: IncomingMessage): UpgradeRequest | undefined {
  const headers = new RawHeaders(req.rawHeaders);
  const host = headers.get("host");
  if (host === null && req.httpVersion !== "1.0") return undefined;
  return new NodeUpgradeRequest(req, absoluteUrl(req, host ?? "localhost"), headers);
}

// A class rather than a literal with a closure: one object per handshake.
class NodeUpgradeRequest implements UpgradeRequest {
  readonly method: string;
  readonly url: string;
  readonly pathname: string;
  readonly headers: RawHeaders;
  readonly #req: IncomingMessage;
  readonly #url: URL;
  #request: Request | undefined;

  constructor(req: IncomingMessage, url: URL, headers: RawHeaders) {
    this.#req = req;
    this.#url = url;
    this.method = req.method ?? "GET";
    this.url = url.href;
    this.pathname = url.pathname;
    this.headers = headers;
  }

  request(): Request {
    return (this.#request ??= toRequest(this.#req, false, this.#url));
  }
}

/** `Headers.get` over node:http's `rawHeaders`, for the few names a handshake reads. */
class RawHeaders {
  readonly #raw: string[];
  constructor(raw: string[]) {
    this.#raw = raw;
  }

  /** The values of `name` (lower case), joined with ", " as `Headers` joins them; `null` when absent. */
  get(name: string): string | null {
    const raw = this.#raw;
    let value: string | null = null;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      if (!sameName(raw[i]!, name)) continue;
      const v = trimHttpWhitespace(raw[i + 1]!);
      value = value === null ? v : `${value}, ${v}`;
    }
    return value;
  }
}

/** Whether header name `key` is `lower` (already lower case), ignoring ASCII case, without making a string. */
function sameName(key: string, lower: string): boolean {
  if (key.length !== lower.length) return false;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    // Only A-Z fold: a non-ASCII name never equals the ASCII names asked for.
    if ((c >= 0x41 && c <= 0x5a ? c + 0x20 : c) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** A header value without leading or trailing spaces and tabs, as `Headers` normalises it. */
function trimHttpWhitespace(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && isHttpSpace(value.charCodeAt(start))) start++;
  while (end > start && isHttpSpace(value.charCodeAt(end - 1))) end--;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}

const isHttpSpace = (c: number) => c === 0x20 || c === 0x09;

/** Sends a web `Response` through a node:http `ServerResponse`, streaming its body. */
export async function sendResponse(res: ServerResponse, response: Response, isHead: boolean): Promise<void> {
  res.statusCode = response.status;
  // HTTP/2 forbids connection-specific headers (RFC 9113 §8.2.2), and node:http2 throws on them.
  const http2 = isHttp2Response(res);
  for (const [name, value] of response.headers) {
    if (name !== "set-cookie" && !(http2 && CONNECTION_SPECIFIC.has(name))) res.setHeader(name, value);
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader("set-cookie", cookies);
  if (!response.body || isHead) {
    await response.body?.cancel();
    res.end();
    return;
  }
  await pipeline(Readable.fromWeb(response.body as never), res);
}

/** Headers HTTP/2 does not allow (RFC 9113 §8.2.2): node:http2 throws on them. */
export const CONNECTION_SPECIFIC = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"]);

/** Whether `res` answers an HTTP/2 request (node:http2's compatibility response has a `stream`). */
function isHttp2Response(res: ServerResponse): boolean {
  return (res as { stream?: unknown }).stream !== undefined;
}

const FRAMING = new Set(["content-length", "transfer-encoding", "connection", "keep-alive"]);

/** Writes a whole `Response` onto a raw socket (an upgrade that is refused), then ends it. */
export async function sendRawResponse(socket: Duplex, response: Response): Promise<void> {
  const body = new Uint8Array(await response.arrayBuffer());
  let head = `HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? ""}\r\n`;
  for (const [name, value] of response.headers) {
    if (!FRAMING.has(name)) head += `${name}: ${value}\r\n`;
  }
  head += `content-length: ${body.byteLength}\r\nconnection: close\r\n\r\n`;
  if (socket.writable) socket.end(Buffer.concat([Buffer.from(head, "latin1"), body]));
}

/** The 101 response completing a WebSocket handshake. */
export function switchingProtocols(accept: string, protocol: string, extra: Headers | undefined): string {
  let head = `HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: ${accept}\r\n`;
  if (protocol) head += `sec-websocket-protocol: ${protocol}\r\n`;
  if (extra) for (const [name, value] of extra) head += `${name}: ${value}\r\n`;
  return `${head}\r\n`;
}
