/**
 * WebSockets over HTTP/2 (RFC 8441) on a node:http2 server: an extended CONNECT stream with
 * `:protocol websocket` is routed and decided like an HTTP/1.1 upgrade, answered `:status 200`,
 * and then run by Rookery's codec over the stream. Ending the stream is the TCP close of
 * HTTP/1.1; a failure resets only that stream, never the session or its other streams.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import {
  constants,
  type Http2SecureServer,
  type Http2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type ServerHttp2Stream,
} from "node:http2";
import { markHttp2 } from "../../src/http_version.ts";
import type { ServerHost } from "../../src/server_host.ts";
import { badHostResponse, hasValidHost, textResponse, type UpgradeRequest } from "../../src/upgrade.ts";
import { NodeWebSocket } from "./socket.ts";
import { dropAfterLinger } from "./upgrade.ts";
import { CONNECTION_SPECIFIC, sendRawResponse, targetUrl } from "./web_bridge.ts";

/** What the stream handler needs of its entry point's host. */
type StreamHost = Pick<ServerHost<never>, "app" | "connect" | "decideRoute" | "deciding" | "failedRequest">;

const EMPTY = new Uint8Array(0);
const REFUSED_STREAM = constants.NGHTTP2_REFUSED_STREAM;


/** `Headers.get` over node:http2's header object (pseudo-headers left out, `:authority` read as `host`). */
class StreamHeaders {
  readonly #headers: IncomingHttpHeaders;
  constructor(headers: IncomingHttpHeaders) {
    this.#headers = headers;
  }

  get(name: string): string | null {
    const value = this.#headers[name === "host" ? ":authority" : name] ?? (name === "host" ? this.#headers.host : undefined);
    if (value === undefined) return null;
    return Array.isArray(value) ? value.join(", ") : value;
  }
}

/** An extended CONNECT as the handshake reads it; the web `Request` (a GET: CONNECT is a forbidden method there) only if asked for. */
function streamRequestOf(headers: IncomingHttpHeaders): UpgradeRequest {
  const scheme = headers[":scheme"] ?? "https";
  const url = targetUrl(headers[":path"] ?? "/", `${scheme}://${headers[":authority"] ?? headers.host ?? "localhost"}`);
  let request: Request | undefined;
  return {
    method: "CONNECT",
    url: url.href,
    pathname: url.pathname,
    headers: new StreamHeaders(headers),
    extendedConnect: true,
    request: () => (request ??= toWebRequest(url, headers)),
  };
}

function toWebRequest(url: URL, headers: IncomingHttpHeaders): Request {
  const web = new Headers();
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(":") || value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) web.append(name, v);
  }
  if (!web.has("host") && typeof headers[":authority"] === "string") web.set("host", headers[":authority"]);
  // `httpVersionOf` tells onaccept this is HTTP/2: the GET says nothing (CONNECT cannot be a Request's method).
  return markHttp2(new Request(url, { method: "GET", headers: web }));
}

/** Answers a refused extended CONNECT with a whole `Response`, then ends the stream. */
async function refuse(stream: ServerHttp2Stream, response: Response): Promise<void> {
  const body = new Uint8Array(await response.arrayBuffer());
  if (stream.destroyed || stream.headersSent) return;
  const out: OutgoingHttpHeaders = { ":status": response.status };
  // A refusal made for HTTP/1.1 carries `Connection: close`; the body goes whole, so HTTP/2 frames it.
  for (const [name, value] of response.headers) if (!CONNECTION_SPECIFIC.has(name) && name !== "content-length") out[name] = value;
  stream.respond(out);
  stream.end(body);
}

async function answerStream(host: StreamHost, stream: ServerHttp2Stream, headers: IncomingHttpHeaders, closeTimeout: number): Promise<void> {
  if (headers[":protocol"] !== "websocket") {
    return refuse(stream, textResponse(501, "Only the websocket protocol is served over extended CONNECT"));
  }
  let request: UpgradeRequest;
  try {
    request = streamRequestOf(headers);
  } catch {
    return refuse(stream, badHostResponse());
  }
  if (!hasValidHost(request.headers)) return refuse(stream, badHostResponse());
  const found = host.app.routes.find(request.pathname);
  if (!found) return refuse(stream, textResponse(404, "Not Found"));
  const pending = host.decideRoute(request, found);
  // While onaccept's promise is pending, shutdown may drop the stream rather than wait on it.
  const decided = pending instanceof Promise ? host.deciding(() => stream.close(REFUSED_STREAM)) : undefined;
  const decision = await pending;
  decided?.();
  if (decision.kind === "pass") return refuse(stream, textResponse(404, "Not Found"));
  if (decision.kind === "respond") return refuse(stream, decision.response);
  // The client may have reset the stream while onaccept ran.
  if (stream.destroyed || stream.closed) return;
  const { acceptance } = decision;
  const out: OutgoingHttpHeaders = { ":status": 200 };
  if (acceptance.protocol) out["sec-websocket-protocol"] = acceptance.protocol;
  if (acceptance.headers) for (const [name, value] of acceptance.headers) if (!CONNECTION_SPECIFIC.has(name)) out[name] = value;
  stream.respond(out);
  new NodeWebSocket(host, acceptance, stream, EMPTY, closeTimeout, stream.session?.socket?.remoteAddress);
}

/**
 * Serves extended CONNECT streams on `server`. Other streams are left to the server's own
 * handlers. With node:http2's compatibility layer (a `request` listener), Node ends CONNECT
 * streams itself unless `connect` has a listener, so one is added (when the server has none)
 * that leaves extended CONNECTs to Rookery and refuses the others.
 */
export function listenStreams(host: StreamHost, server: Http2Server | Http2SecureServer, closeTimeout: number): void {
  if (server.listenerCount("connect") === 0) server.on("connect", refuseTunnel);
  server.on("stream", (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => {
    if (headers[":method"] !== "CONNECT" || headers[":protocol"] === undefined) return;
    // A stream that errors before Rookery owns it must not crash the process.
    stream.on("error", ignore);
    answerStream(host, stream, headers, closeTimeout).catch((error: unknown) => {
      if (!stream.destroyed) void refuse(stream, host.failedRequest(error)).catch(() => stream.destroy());
    });
  });
}

function ignore(): void {}

/**
 * A plain CONNECT (a tunnel, with no `:protocol`) on a server that serves no tunnels: 405, where
 * ignored it would hang, holding one of the client's streams. Unless another `connect` listener,
 * added since, is there to answer it. Over HTTP/1.1 (`allowHTTP1`) node:http calls this listener
 * with the raw socket instead of a response.
 */
function refuseTunnel(this: Http2Server, req: Http2ServerRequest | IncomingMessage, res: Http2ServerResponse | Duplex): void {
  if (req.headers[":protocol"] !== undefined || this.listenerCount("connect") > 1) return;
  const refusal = textResponse(405, "This server opens no tunnels");
  if (isResponse(res)) {
    void refuse(res.stream, refusal).catch(() => res.stream.destroy());
    return;
  }
  // Written as an upgrade's refusal is, and dropped as one is if the client never closes.
  res.on("error", ignore);
  sendRawResponse(res, refusal).then(() => dropAfterLinger(res), () => res.destroy());
}

function isResponse(res: Http2ServerResponse | Duplex): res is Http2ServerResponse {
  return typeof (res as Partial<Http2ServerResponse>).writeHead === "function";
}
