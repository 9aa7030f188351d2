/**
 * Which HTTP version brought a web `Request` to Rookery. A `Request` has no field for it, and
 * the one an HTTP/2 handshake is seen as must look like an HTTP/1.1 upgrade's (a `GET`: CONNECT
 * is a method `Request` forbids), so the adapter that builds it records it here instead. A
 * `WeakSet` keeps no request alive and adds nothing to the request itself.
 */

const overHttp2 = new WeakSet<Request>();

/**
 * @internal For adapters: `request` came over HTTP/2 (an extended CONNECT stream, RFC 8441, or a
 * plain HTTP/2 request). Returns it.
 */
export function markHttp2(request: Request): Request {
  overHttp2.add(request);
  return request;
}

/**
 * The HTTP version a WebSocket handshake (or a plain request) came over: `"2"` for an HTTP/2
 * extended CONNECT stream (RFC 8441), `"1.1"` for an HTTP/1.1 upgrade. For `onaccept` and an
 * `allowedOrigins` predicate, which decide before the connection (and `conn.httpVersion`) exists.
 *
 * Only Rookery's Node adapter serves HTTP/2 (`serve` with `http2`, `attachHttp2`); it also marks
 * the plain HTTP/2 requests it hands to `serve`'s `fetch`. Any other `Request` (one built in
 * code, or a plain request served by Deno's or Bun's own server, whatever its version) answers
 * `"1.1"`, and so does a copy of the request Rookery passed (`request.clone()`, `new Request(request)`).
 *
 * @example
 * ```ts
 * import { httpVersionOf } from "rookery";
 * app.ws("/live").onaccept((req) => ({ data: { overHttp2: httpVersionOf(req) === "2" } }));
 * ```
 */
export function httpVersionOf(request: Request): "1.1" | "2" {
  return overHttp2.has(request) ? "2" : "1.1";
}
