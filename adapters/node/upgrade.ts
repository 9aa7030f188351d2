/**
 * The HTTP/1.1 upgrade on a node:http (or node:https) server: the raw request read as the core's
 * `UpgradeRequest`, routed once, decided (within the call unless `onaccept` returns a promise),
 * then refused on the raw socket or answered 101 and handed to `NodeWebSocket`.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Server as HttpsServer } from "node:https";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { ServerHost } from "../../src/server_host.ts";
import type { MaybePromise } from "../../src/thenable.ts";
import { badHostResponse, hasValidHost, textResponse, type UpgradeDecision, type UpgradeRequest } from "../../src/upgrade.ts";
import { watchWhileDeciding } from "./early_data.ts";
import { NodeWebSocket } from "./socket.ts";
import { acceptValue, sendRawResponse, switchingProtocols, upgradeRequestOf } from "./web_bridge.ts";

/** Node accepts an HTTP/1.1 request without a Host; RFC 9112 §3.2 asks for 400 (HTTP/1.0 may omit it). */
export function lacksHost(req: IncomingMessage): boolean {
  // Over HTTP/2 the host is the `:authority` pseudo-header.
  return req.headers.host === undefined && req.headers[":authority"] === undefined && req.httpVersion !== "1.0";
}

/** What a Node fallback gets as its second argument. */
export interface NodeEnv {
  incoming: IncomingMessage;
  outgoing: ServerResponse;
}

export type NodeHost = ServerHost<NodeEnv>;

/**
 * Answers one upgrade request: `false` when no route takes the path (the socket is left
 * untouched), `true` when it was answered. Decided within the call (no promise, no early-data
 * watcher) unless `onaccept` returns a promise. Never throws or rejects: whatever fails answers
 * the client (500 for our own failures) and is logged.
 */
export function upgrade(host: NodeHost, req: IncomingMessage, socket: Duplex, head: Uint8Array, closeTimeout: number): MaybePromise<boolean> {
  const failed = (error: unknown): true => refuseRaw(host, socket, host.failedRequest(error));
  try {
    const handled = upgradeOrPass(host, req, socket, head, closeTimeout);
    return handled instanceof Promise ? handled.catch(failed) : handled;
  } catch (error) {
    return failed(error);
  }
}

function upgradeOrPass(host: NodeHost, req: IncomingMessage, socket: Duplex, head: Uint8Array, closeTimeout: number): MaybePromise<boolean> {
  let request: UpgradeRequest | undefined;
  try {
    request = upgradeRequestOf(req);
  } catch {
    request = undefined;
  }
  // Before routing: runtimes build the URL from the Host, which must not choose the route.
  if (!request || !hasValidHost(request.headers)) return refuseRaw(host, socket, badHostResponse());
  // Not ours: decided before reading anything, so the caller gets the socket untouched.
  const found = host.app.routes.find(request.pathname);
  if (!found) return false;
  const decision = host.decideRoute(request, found);
  // Decided at once: nothing can have arrived meanwhile, the socket is as node:http left it.
  if (!(decision instanceof Promise)) return carryOut(host, request, decision, socket, head, closeTimeout, false);
  // While onaccept runs, keep reading: that is how a client that leaves is noticed (a
  // paused socket never sees its EOF), and frames sent right behind the handshake are kept.
  const early = watchWhileDeciding(socket, head);
  const decided = host.deciding(() => socket.destroy());
  return decision.then((d) => {
    decided();
    const buffered = early.release();
    return carryOut(host, request, d, socket, buffered, closeTimeout, early.gone);
  });
}

/** Does what the handshake decided: `false` to pass the socket on, else answers it (refusal or 101). */
function carryOut(
  host: NodeHost,
  request: UpgradeRequest,
  decision: UpgradeDecision,
  socket: Duplex,
  head: Uint8Array,
  closeTimeout: number,
  gone: boolean,
): boolean {
  if (decision.kind === "pass") return false;
  if (decision.kind === "respond") return refuseRaw(host, socket, decision.response);
  const { acceptance } = decision;
  if (gone || socket.destroyed || !socket.writable) {
    socket.destroy();
    return true;
  }
  // The key is read here, where the 101 is written: the core has no use for it (Deno and Bun answer it themselves).
  const key = request.headers.get("sec-websocket-key")!.trim();
  // Latin-1: header values are byte strings (a `Headers` value cannot hold more), and Node writes them without a UTF-8 pass.
  socket.write(switchingProtocols(acceptValue(key), acceptance.protocol, acceptance.headers), "latin1");
  new NodeWebSocket(host, acceptance, socket as Socket, head, closeTimeout, (socket as Socket).remoteAddress);
  return true;
}

/**
 * Answers an upgrade with a whole response and ends the socket; `true` (answered). A response
 * whose body fails (one `onaccept` made) becomes a logged 500, as any failure of ours does.
 */
function refuseRaw(host: NodeHost, socket: Duplex, response: Response): true {
  socket.on("error", ignore);
  sendRawResponse(socket, response)
    .catch((error: unknown) => sendRawResponse(socket, host.failedRequest(error)))
    .then(() => dropAfterLinger(socket), () => socket.destroy());
  return true;
}

function ignore(): void {}

/** Milliseconds a refused client has to read the answer and close, before its socket is dropped. */
const REFUSAL_LINGER = 2000;

/**
 * Drops `socket`, whose answer has been written and its side ended, `REFUSAL_LINGER` from now
 * unless the client closes first. node:http lets a client hold its half of the connection open,
 * and none of its timeouts apply once a request is an upgrade (or a CONNECT): a refused client
 * that never closed would keep its socket for good. Dropped at once instead, a client that had
 * sent anything more could lose the answer to the reset.
 */
export function dropAfterLinger(socket: Duplex): void {
  if (socket.destroyed) return;
  const drop = setTimeout(() => socket.destroy(), REFUSAL_LINGER);
  drop.unref();
  socket.once("close", () => clearTimeout(drop));
}

/**
 * Handles the server's upgrades. A path with no WebSocket route gets 404, unless `share` and
 * another `upgrade` listener is there to answer it (ws, Vite's HMR, Socket.IO on one server).
 */
export function listenUpgrades(host: NodeHost, server: Server | HttpsServer, share: boolean): void {
  const unrouted = (socket: Duplex, handled: boolean) => {
    if (handled || (share && server.listenerCount("upgrade") > 1)) return;
    refuseRaw(host, socket, textResponse(404, "Not Found"));
  };
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const handled = upgrade(host, req, socket, head, host.closeTimeout);
    if (handled instanceof Promise) void handled.then((h) => unrouted(socket, h));
    else unrouted(socket, handled);
  });
}
