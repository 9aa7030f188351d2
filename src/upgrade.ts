import type { Rookery } from "./app.ts";
import { type ConnectionSettings, settingsOf } from "./connection_settings.ts";
import type { AcceptOptions, AcceptResult, HeaderValues, OriginPolicy } from "./handlers.ts";
import { negotiateDeflate, type NegotiatedDeflate, parseExtensions, type ResolvedDeflate } from "./protocol/deflate_params.ts";
import { checkExtendedConnect, checkHandshake, type HeaderReader, offeredProtocols } from "./protocol/handshake.ts";
import type { RouteRecord } from "./route.ts";
import { isThenable, type MaybePromise } from "./thenable.ts";

/**
 * An upgrade request as the handshake reads it. Deno and Bun hand over a web `Request`
 * (read through {@link fromRequest}); Node's adapter reads node:http's request directly and builds the
 * `Request` only when user code is to see it (`onaccept`, an `allowedOrigins` predicate).
 */
export interface UpgradeRequest {
  readonly method: string;
  /** The absolute URL, as `Request.url`. */
  readonly url: string;
  /** The URL's pathname, dot segments resolved: what routes match. */
  readonly pathname: string;
  readonly headers: HeaderReader;
  /**
   * An HTTP/2 extended CONNECT (RFC 8441) rather than an HTTP/1.1 upgrade: no Upgrade, Connection
   * or key to check, no accept value to answer with.
   */
  readonly extendedConnect?: boolean;
  /** The web `Request` (made once, on the first call); throws a `TypeError` if the request cannot be one. */
  request(): Request;
}

/**
 * A web `Request` as an {@link UpgradeRequest}; `undefined` when no URL can be made of its
 * `request.url`. Runtimes build that string from the Host without parsing it, so a Host
 * {@link hasValidHost} lets through may still fail the URL parser (`a:99999`, `%zz`, `999.1.1.1`).
 */
export function fromRequest(request: Request): UpgradeRequest | undefined {
  const pathname = pathnameOf(request.url);
  return pathname === undefined ? undefined : new WebUpgradeRequest(request, pathname);
}

/** The pathname of an absolute URL, `undefined` if it does not parse. */
function pathnameOf(url: string): string | undefined {
  try {
    return new URL(url).pathname;
  } catch {
    return undefined;
  }
}

// A class, not a literal with a closure: one object per handshake.
class WebUpgradeRequest implements UpgradeRequest {
  readonly method: string;
  readonly url: string;
  readonly pathname: string;
  readonly headers: Headers;
  readonly #request: Request;

  constructor(request: Request, pathname: string) {
    this.#request = request;
    this.method = request.method;
    this.url = request.url;
    this.pathname = pathname;
    this.headers = request.headers;
  }

  request(): Request {
    return this.#request;
  }
}

/** A route's match for a request: what `decideRoute` needs beyond the request. */
export type RouteMatch = NonNullable<ReturnType<Rookery["routes"]["find"]>>;

/** Everything an adapter needs to complete an accepted upgrade and open the connection. */
export interface Acceptance {
  readonly route: RouteRecord;
  readonly url: string;
  readonly params: Record<string, string>;
  readonly data: unknown;
  /** The selected subprotocol, `""` for none. */
  readonly protocol: string;
  /** An HTTP/2 extended CONNECT (RFC 8441) rather than an HTTP/1.1 upgrade. */
  readonly extendedConnect?: boolean;
  /** Extra headers for the 101 response, from `onaccept` and the agreed extension (protocol not included); `undefined` when there are none, as for most handshakes. */
  readonly headers: Headers | undefined;
  /** The route's handlers and effective options, shared by its connections. */
  readonly settings: ConnectionSettings;
  /** permessage-deflate as agreed with this client (its answer is in `headers`), or none. */
  readonly deflate: NegotiatedDeflate | undefined;
}

/** What the adapter's codec can do, which decides what the handshake may agree to. */
export interface CodecAbilities {
  /** Rookery's codec reads this socket and can compress (permessage-deflate). */
  readonly deflate: boolean;
}

const NO_ABILITIES: CodecAbilities = { deflate: false };

/**
 * The permessage-deflate setting in force on `route`: its own, else the app's. Validated values
 * are `false` or complete options.
 */
export function deflateSetting(route: RouteRecord, app: Rookery): ResolvedDeflate | false {
  return (route.options.perMessageDeflate ?? app.options.perMessageDeflate ?? false) as ResolvedDeflate | false;
}

/** What an adapter does with a request: pass it on (not a WebSocket route), answer it, or upgrade. */
export type UpgradeDecision =
  | { readonly kind: "pass" }
  | { readonly kind: "respond"; readonly response: Response }
  | { readonly kind: "accept"; readonly acceptance: Acceptance };

const PASS: UpgradeDecision = { kind: "pass" };

/** A short plain-text HTTP answer. */
export function textResponse(status: number, message: string, headers?: HeaderValues): Response {
  const h = new Headers(headers);
  h.set("content-type", "text/plain; charset=utf-8");
  return new Response(`${message}\n`, { status, headers: h });
}

function respond(status: number, message: string, headers?: HeaderValues): UpgradeDecision {
  return { kind: "respond", response: textResponse(status, message, headers) };
}

/**
 * `response` with `Connection: close`. A refused upgrade ends its connection: a client (or a
 * proxy that does not check for the 101) must not go on to send other requests on a connection
 * it meant to upgrade (WebSocket smuggling). Node's and Bun's servers close after such a
 * response; the Deno adapter ends the connection itself.
 */
export function closingConnection(response: Response): Response {
  try {
    response.headers.set("connection", "close");
    return response;
  } catch {
    // Immutable headers (a fetched or Response.error() response): copy it.
    const copy = new Response(response.body, response);
    copy.headers.set("connection", "close");
    return copy;
  }
}

/**
 * Whether `answer` to `request` refuses an upgrade the request asked for, so the connection must
 * end after it. Not a 101 (a fallback that upgrades itself, such as Hono's), not a runtime's own
 * "upgraded" answer (Bun's `undefined`), and not a status that cannot carry a body.
 */
export function refusesUpgrade(request: Request, answer: unknown): answer is Response {
  // The answer first: once Deno's upgradeWebSocket has taken the request, its headers may no
  // longer be read.
  return answer instanceof Response && answer.status >= 200 && !NO_BODY.has(answer.status) && request.headers.has("upgrade");
}

const NO_BODY = new Set([204, 205, 304]);

// RFC 3986 host (IP literal, IPv4 or reg-name) and an optional port: nothing that could carry a path.
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]+)(?::[0-9]{0,5})?$/;

/**
 * Whether `request`'s `Host` header, if it has one, is well-formed. Runtimes build `request.url`
 * from it, so a malformed one (`host/path?`) could otherwise choose the route; RFC 9112 §3.2
 * asks for 400. A `Request` built in code may have none (fetch's `Request` leaves it out); an
 * HTTP/1.1 request without one is each adapter's to refuse.
 */
export function hasValidHost(headers: HeaderReader): boolean {
  const host = headers.get("host");
  return host === null || HOST.test(host);
}

/** The answer to a request whose `Host` is malformed, before any routing. */
export function badHostResponse(): Response {
  return textResponse(400, "Malformed Host header", { connection: "close" });
}

/**
 * For a request that is not an upgrade (an adapter's plain HTTP path): the answer when its
 * path is a WebSocket route (426, or 400 for a malformed handshake) or its Host is malformed
 * (400), else `undefined`.
 */
export function answerPlainRequest(app: Rookery, request: Request): Response | undefined {
  const pathname = hasValidHost(request.headers) ? pathnameOf(request.url) : undefined;
  if (pathname === undefined) return badHostResponse();
  if (!app.routes.find(pathname)) return undefined;
  const problem = checkHandshake(request.method, request.headers) ?? {
    status: 400,
    message: "This WebSocket handshake could not be completed over plain HTTP",
  };
  return textResponse(problem.status, problem.message, problem.headers);
}

/**
 * Routes `request` and, on a WebSocket route, validates the handshake and runs `onaccept`.
 * Never throws: a malformed `Host` (one no URL can be made of included) gets 400 before routing; a failure in user code (`onaccept`,
 * an `allowedOrigins` predicate, headers `Headers` refuses) becomes a logged 500 with a fixed
 * body. Every refusal carries `Connection: close`.
 */
export function decideUpgrade(app: Rookery, request: Request | UpgradeRequest, abilities: CodecAbilities = NO_ABILITIES): MaybePromise<UpgradeDecision> {
  // Before anything reads the URL: runtimes build it from the Host, which may not even parse.
  const source = hasValidHost(request.headers) ? (request instanceof Request ? fromRequest(request) : request) : undefined;
  if (!source) return { kind: "respond", response: badHostResponse() };
  const found = app.routes.find(source.pathname);
  return found ? decideRoute(app, source, found, abilities) : PASS;
}

/**
 * {@link decideUpgrade} for a request already routed (`found`, from `app.routes.find` on its
 * pathname) whose `Host` was checked: an adapter that must know whether a path is Rookery's
 * before anything else (Node's, which leaves other paths to other listeners) routes only once.
 * Decided at once (no promise) unless `onaccept` returns a promise.
 */
export function decideRoute(app: Rookery, request: UpgradeRequest, found: RouteMatch, abilities: CodecAbilities): MaybePromise<UpgradeDecision> {
  try {
    const decision = decide(app, request, found, abilities);
    return decision instanceof Promise
      ? decision.then(closingRefusal).catch((error: unknown) => upgradeFailed(app, request, error))
      : closingRefusal(decision);
  } catch (error) {
    return upgradeFailed(app, request, error);
  }
}

function upgradeFailed(app: Rookery, request: UpgradeRequest, error: unknown): UpgradeDecision {
  app.log(`WebSocket upgrade failed on ${request.pathname}`, error);
  return respond(500, "Internal Server Error", { connection: "close" });
}

/**
 * A refusal gets `Connection: close`. This can throw: a `Response.error()` from onaccept (status
 * 0) cannot be copied to add the header, and is no HTTP answer anyway; the caller makes it a 500.
 */
function closingRefusal(decision: UpgradeDecision): UpgradeDecision {
  return decision.kind === "respond" ? { kind: "respond", response: closingConnection(decision.response) } : decision;
}

function decide(app: Rookery, source: UpgradeRequest, found: RouteMatch, abilities: CodecAbilities): MaybePromise<UpgradeDecision> {
  const { value: route, params } = found;
  const { headers } = source;

  const problem = source.extendedConnect ? checkExtendedConnect(headers) : checkHandshake(source.method, headers);
  if (problem) return respond(problem.status, problem.message, problem.headers);

  const origins = route.options.allowedOrigins ?? app.options.allowedOrigins;
  const onaccept = route.handlers.onaccept;
  // The web Request only when user code sees it: building one costs more than the rest of a handshake.
  let request: Request | undefined;
  if (onaccept || typeof origins === "function") {
    try {
      request = source.request();
    } catch {
      return respond(400, "Malformed request");
    }
  }
  if (origins && !originAllowed(origins, headers, request)) return respond(403, "Origin not allowed");

  if (!onaccept) {
    // Without subprotocols on the route and no onaccept to show them to, the offer is moot.
    const offered = route.subprotocols.length > 0 ? offeredProtocols(headers) : NONE_OFFERED;
    return accepted(app, source, found, abilities, offered, true);
  }
  const offered = offeredProtocols(headers);
  let result: AcceptResult<unknown> | PromiseLike<AcceptResult<unknown>>;
  try {
    result = onaccept(request!, params, offered);
  } catch (error) {
    return onacceptThrew(app, route, error);
  }
  if (!isThenable(result)) return accepted(app, source, found, abilities, offered, result);
  return Promise.resolve(result).then(
    (r) => accepted(app, source, found, abilities, offered, r),
    (error: unknown) => onacceptThrew(app, route, error),
  );
}

const NONE_OFFERED: readonly string[] = Object.freeze([]);
/** What `onaccept` answers with `true` or nothing: no options. */
const NO_OPTIONS: AcceptOptions<unknown> = Object.freeze({});

function onacceptThrew(app: Rookery, route: RouteRecord, error: unknown): UpgradeDecision {
  app.log(`onaccept handler threw on ${route.compiled.pattern}`, error);
  return respond(500, "Internal Server Error");
}

/** The route's first subprotocol (in its order of preference) that the client offered, or `""`. */
function firstOffered(supported: readonly string[], offered: readonly string[]): string {
  for (const protocol of supported) if (offered.includes(protocol)) return protocol;
  return "";
}

/** The decision once `onaccept` (if any) has answered `result`. */
function accepted(
  app: Rookery,
  source: UpgradeRequest,
  found: RouteMatch,
  abilities: CodecAbilities,
  offered: readonly string[],
  result: AcceptResult<unknown>,
): UpgradeDecision {
  const { value: route, params } = found;
  const { headers } = source;
  if (result === false) return respond(403, "Forbidden");
  if (result instanceof Response) return { kind: "respond", response: result };
  const options: AcceptOptions<unknown> = typeof result === "object" && result !== null ? result : NO_OPTIONS;

  let protocol = firstOffered(route.subprotocols, offered);
  if (options.protocol !== undefined) {
    if (!offered.includes(options.protocol)) {
      app.log(
        `onaccept on ${route.compiled.pattern} chose subprotocol ${JSON.stringify(options.protocol)}, which the client did not offer`,
      );
      return respond(500, "Internal Server Error");
    }
    protocol = options.protocol;
  }

  const setting = abilities.deflate ? deflateSetting(route, app) : false;
  const agreed = setting ? negotiateDeflate(parseExtensions(headers.get("sec-websocket-extensions")), setting) : undefined;
  // Most handshakes add no header: they make no `Headers` either.
  let extra: Headers | undefined;
  if (options.headers || agreed) {
    extra = new Headers(options.headers);
    if (agreed) extra.set("sec-websocket-extensions", agreed.response);
  }
  const deflate: NegotiatedDeflate | undefined = agreed?.params;

  return {
    kind: "accept",
    acceptance: {
      route,
      url: source.url,
      params,
      data: options.data,
      protocol,
      extendedConnect: source.extendedConnect === true,
      headers: extra,
      deflate,
      settings: settingsOf(route, app),
    },
  };
}

/** A `fetch`-style handler for plain HTTP requests on paths with no WebSocket route. */
export type FetchHandler = (request: Request) => Response | Promise<Response>;

/**
 * The answer to a request no WebSocket route takes: the fallback's, or 404 without one. A
 * fallback that throws gives a logged 500.
 */
export async function fallbackResponse(app: Rookery, request: Request, fallback: FetchHandler | undefined): Promise<Response> {
  if (!fallback) return textResponse(404, "Not Found");
  try {
    return await fallback(request);
  } catch (error) {
    app.log(`HTTP handler failed on ${pathnameOf(request.url) ?? "?"}`, error);
    return textResponse(500, "Internal Server Error");
  }
}

/**
 * Whether a request may connect under `policy`; one without `Origin` is not a browser's. A
 * predicate policy gets the `Request` (made for it).
 */
function originAllowed(policy: OriginPolicy, headers: HeaderReader, request: Request | undefined): boolean {
  const origin = headers.get("origin");
  if (origin === null) return true;
  if (typeof policy === "function") return policy(origin, request!);
  return policy.includes(origin.toLowerCase());
}
