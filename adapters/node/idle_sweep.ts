/**
 * The Node adapter's idle timeout (`idleTimeout`): one sweep a second for every socket that has
 * one, instead of a timer per socket, and what a socket's silence calls for.
 * @module
 */

/** A socket the sweep visits once a second. */
export interface IdleWatched {
  idleTick(): void;
}

const watched = new Set<IdleWatched>();
let sweep: ReturnType<typeof setInterval> | undefined;

/** Visits `socket` once a second from now on, until `unwatchIdle`. */
export function watchIdle(socket: IdleWatched): void {
  watched.add(socket);
  if (sweep) return;
  sweep = setInterval(() => {
    for (const s of watched) s.idleTick();
    if (watched.size === 0) {
      clearInterval(sweep);
      sweep = undefined;
    }
  }, 1000);
  // The sweep alone never keeps a process alive.
  sweep.unref();
}

export function unwatchIdle(socket: IdleWatched): void {
  watched.delete(socket);
}

/**
 * What `silentFor` whole seconds without a byte from the client call for, with an idle timeout
 * of `idleTimeout` seconds (whole or not): a ping on the first second at or past the timeout,
 * dropping the connection once twice the timeout has passed (the ping went unanswered).
 */
export function idleVerdict(silentFor: number, idleTimeout: number): "ping" | "drop" | undefined {
  if (silentFor >= 2 * idleTimeout) return "drop";
  if (silentFor >= idleTimeout && silentFor - 1 < idleTimeout) return "ping";
  return undefined;
}
