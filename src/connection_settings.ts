/**
 * What every connection of a route runs with: its handlers and its options resolved against the
 * app's and the defaults. Resolved once per route (again only after one of its options changes)
 * and shared by its connections, so a handshake copies none of it and a connection keeps one
 * reference instead of a field per option.
 */
import type { Rookery } from "./app.ts";
import { DEFAULT_MAX_BACKLOG } from "./backlog.ts";
import type { RouteHandlers } from "./handlers.ts";
import { DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_FRAGMENTS, effectivePayloadLimit } from "./limits.ts";
import type { RouteRecord } from "./route.ts";

/** Default `maxBufferedAmount`: 16 MiB, Bun's own default backpressure limit. */
export const DEFAULT_MAX_BUFFERED = 16 * 1024 * 1024;

/** A route's handlers and effective options. Read only: its connections share it. */
export interface ConnectionSettings {
  readonly handlers: RouteHandlers;
  /** The route's effective message limit in bytes (`Infinity`: none). */
  readonly maxPayload: number;
  readonly allowUnmaskedFrames: boolean;
  /** Most data frames per message (where Rookery's codec reads). */
  readonly maxFragments: number;
  /** Send-buffer bound in bytes and what a send over it does. */
  readonly maxBufferedAmount: number;
  readonly slowReader: "close" | "drop";
  /** Bytes received and waiting for a pending handler before reading pauses (or fails with 1008). */
  readonly maxBacklog: number;
  /** Seconds of silence before a ping (and as long again before the drop); 0: off. */
  readonly idleTimeout: number;
}

/** The settings of `route` in `app`, made on first use and kept on the route until its options change. */
export function settingsOf(route: RouteRecord, app: Rookery): ConnectionSettings {
  return (route.settings ??= resolveSettings(route, app));
}

function resolveSettings(route: RouteRecord, app: Rookery): ConnectionSettings {
  const own = route.options;
  const shared = app.options;
  return Object.freeze({
    handlers: route.handlers,
    maxPayload: effectivePayloadLimit(own.maxPayload, shared.maxPayload),
    allowUnmaskedFrames: own.allowUnmaskedFrames ?? shared.allowUnmaskedFrames ?? false,
    maxFragments: own.maxFragments ?? shared.maxFragments ?? DEFAULT_MAX_FRAGMENTS,
    maxBufferedAmount: own.maxBufferedAmount ?? shared.maxBufferedAmount ?? DEFAULT_MAX_BUFFERED,
    slowReader: own.slowReader ?? shared.slowReader ?? "close",
    maxBacklog: own.maxBacklog ?? shared.maxBacklog ?? DEFAULT_MAX_BACKLOG,
    idleTimeout: own.idleTimeout ?? shared.idleTimeout ?? DEFAULT_IDLE_TIMEOUT,
  });
}
