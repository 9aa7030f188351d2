/**
 * The server side every entry point shares (`serve`, `attach`, `handleUpgrade`, Deno's `handler`,
 * Bun's `handlers`): its options and their defaults, the request flow (route, decide, fallback),
 * the connections it opened, and its shutdown. An adapter keeps only what its runtime does
 * differently: the native upgrade, listening, and a `SocketPort` over the native socket.
 */
import type { Rookery } from "./app.ts";
import { CloseCode, SHUTDOWN_REASON } from "./close_codes.ts";
import { openConnection } from "./lifecycle.ts";
import { DEFAULT_CLOSE_TIMEOUT, SHUTDOWN_MARGIN } from "./limits.ts";
import { OpenSockets } from "./open_sockets.ts";
import { PendingHandshakes } from "./pending_handshakes.ts";
import type { MaybePromise } from "./thenable.ts";
import type { SocketEvents, SocketPort } from "./socket_port.ts";
import {
  type Acceptance,
  type CodecAbilities,
  decideRoute,
  decideUpgrade,
  fallbackResponse,
  refusesUpgrade,
  type RouteMatch,
  textResponse,
  type UpgradeDecision,
  type UpgradeRequest,
} from "./upgrade.ts";

/** A fallback for plain HTTP requests, with the runtime's own second argument (`env`). */
export type EnvFetchHandler<Env> = (request: Request, env: Env) => Response | Promise<Response>;

/** What an entry point is configured with; every field has its default here. */
export interface HostOptions<Env> {
  /** Answers requests no WebSocket route takes. Default: 404. */
  fetch?: EnvFetchHandler<Env> | undefined;
  /** Milliseconds a server-side close waits for the peer. Default: {@link DEFAULT_CLOSE_TIMEOUT}. */
  closeTimeout?: number | undefined;
}

/** What the adapter brings: its codec's abilities. */
export interface AdapterTraits {
  /** Rookery's codec reads the sockets and can compress (the Node adapter). Default: false. */
  readonly deflate?: boolean;
}

/** What to do with a request: upgrade it, or answer it (and whether its connection must end after). */
export type HostAnswer =
  | { readonly kind: "accept"; readonly acceptance: Acceptance }
  | { readonly kind: "respond"; readonly response: Response; readonly endsConnection: boolean };

/** The answer to an upgrade decided after shutdown began. */
function shuttingDownResponse(): Response {
  return textResponse(503, "Server shutting down", { connection: "close" });
}

/** Validates `closeTimeout`: a non-negative finite number of milliseconds. */
export function checkCloseTimeout(value: number): number {
  // Number.isFinite is false for anything but a finite number, strings included.
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`closeTimeout must be a non-negative number of milliseconds, got ${String(value)}`);
  }
  return value;
}

/** One entry point of an app: the part of a server that is the same on every runtime. */
export class ServerHost<Env> {
  readonly app: Rookery;
  readonly closeTimeout: number;
  readonly #fetch: EnvFetchHandler<Env> | undefined;
  readonly #open = new OpenSockets();
  readonly #abilities: CodecAbilities;
  /** `close()` has begun: upgrades decided from then on are refused. */
  #closing = false;
  /** This entry point's handshakes whose `onaccept` promise is pending (the app keeps them all too). */
  readonly #pending = new PendingHandshakes();

  constructor(app: Rookery, options: HostOptions<Env> = {}, traits: AdapterTraits = {}) {
    this.app = app;
    this.#abilities = { deflate: traits.deflate ?? false };
    this.closeTimeout = checkCloseTimeout(options.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT);
    this.#fetch = options.fetch;
  }

  /** How many connections this entry point has open. */
  get size(): number {
    return this.#open.size;
  }

  /**
   * The whole request flow for runtimes that hand over a `Request` (Deno, Bun): a WebSocket route
   * is decided (upgrade or refusal), anything else goes to the fallback. Never throws or
   * rejects. An upgrade with no `onaccept` promise to wait for is answered at once: no promise.
   */
  handle(request: Request, env: Env): MaybePromise<HostAnswer> {
    try {
      const decision = this.decide(request);
      const answer = decision instanceof Promise ? decision.then((d) => this.#answer(d, request, env)) : this.#answer(decision, request, env);
      return answer instanceof Promise ? answer.catch((error: unknown) => this.#failed(error)) : answer;
    } catch (error) {
      return this.#failed(error);
    }
  }

  #failed(error: unknown): HostAnswer {
    return { kind: "respond", response: this.failedRequest(error), endsConnection: true };
  }

  #answer(decision: UpgradeDecision, request: Request, env: Env): MaybePromise<HostAnswer> {
    // An acceptance is its own answer: no second object per handshake.
    if (decision.kind === "accept") return decision;
    if (decision.kind === "respond") return { kind: "respond", response: decision.response, endsConnection: true };
    return this.fallback(request, env).then((response) => ({ kind: "respond", response, endsConnection: refusesUpgrade(request, response) }));
  }

  /**
   * Routes and decides an upgrade request (`decideUpgrade`); never throws or rejects. An
   * acceptance becomes a 503 once this entry point's `close()` has begun, or when `app.close()`
   * began while `onaccept` ran: a connection opened then would miss the shutdown's 1001 (and,
   * on Node, hold the server open).
   */
  decide(request: Request): MaybePromise<UpgradeDecision> {
    return this.#unlessShutDown(decideUpgrade(this.app, request, this.#abilities), this.app.handshakes.shutdowns);
  }

  /** Decides an upgrade request already routed to `found` (`decideRoute`), as {@link decide} does. */
  decideRoute(request: UpgradeRequest, found: RouteMatch): MaybePromise<UpgradeDecision> {
    return this.#unlessShutDown(decideRoute(this.app, request, found, this.#abilities), this.app.handshakes.shutdowns);
  }

  /** `decision`, or a 503 for an acceptance after this host closed or across an `app.close()` (`shutdowns`: the app's count when deciding began). */
  #unlessShutDown(decision: MaybePromise<UpgradeDecision>, shutdowns: number): MaybePromise<UpgradeDecision> {
    if (decision instanceof Promise) return decision.then((d) => this.#unlessShutDown(d, shutdowns));
    if (decision.kind !== "accept" || (!this.#closing && this.app.handshakes.shutdowns === shutdowns)) return decision;
    return { kind: "respond", response: shuttingDownResponse() };
  }

  /**
   * @internal Notes a handshake whose `onaccept` promise is pending, with what drops it (where the
   * adapter holds the socket: Node's). This host's `close()` and `app.close()` drop the ones
   * still pending rather than wait on user code that may never settle. Returns what to call
   * once it is decided.
   */
  deciding(drop: () => void): () => void {
    const fromHost = this.#pending.add(drop);
    const fromApp = this.app.handshakes.add(drop);
    return () => {
      fromHost();
      fromApp();
    };
  }

  /** The fallback's answer to a request no route takes (404 without one, a logged 500 if it throws). */
  fallback(request: Request, env: Env): Promise<Response> {
    const fetch = this.#fetch;
    return fallbackResponse(this.app, request, fetch && ((r) => fetch(r, env)));
  }

  /** The fixed answer when Rookery's own side of a request fails: logged, never shown. */
  failedRequest(error: unknown): Response {
    this.app.log("WebSocket request failed", error);
    return textResponse(500, "Internal Server Error", { connection: "close" });
  }

  /** Opens the connection of an upgrade the adapter completed; it stays registered until its `onclose`. */
  connect(acceptance: Acceptance, port: SocketPort, remoteAddress: string | undefined): SocketEvents {
    return openConnection(this.app, acceptance, port, remoteAddress, this.#open).events;
  }

  /**
   * Closes every connection of this entry point with 1001 "server shutting down" and resolves
   * once each `onclose` has run, or `closeTimeout` (plus a margin) later. Handshakes still being
   * decided are dropped (Node) or refused with 503 once decided (Deno, Bun).
   */
  async close(): Promise<void> {
    this.#closing = true;
    this.#pending.shutDown();
    await this.#open.closeAll(CloseCode.GOING_AWAY, SHUTDOWN_REASON, this.closeTimeout + SHUTDOWN_MARGIN);
  }
}
