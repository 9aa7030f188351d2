/**
 * Handshakes whose `onaccept` promise is still pending, as a shutdown sees them: each with what
 * drops it (where the adapter holds the socket, Node's), and how many shutdowns have begun, so
 * that a decision that straddles one can be refused rather than open a connection the shutdown
 * never closed.
 */
export class PendingHandshakes {
  readonly #drops = new Set<() => void>();
  #shutdowns = 0;

  /** How many shutdowns have begun: a decision that saw another count straddled one. */
  get shutdowns(): number {
    return this.#shutdowns;
  }

  /** Notes a pending handshake and what drops it; returns what to call once it is decided. */
  add(drop: () => void): () => void {
    this.#drops.add(drop);
    return () => this.#drops.delete(drop);
  }

  /** A shutdown begins: every pending handshake is dropped (user code that may never settle is not waited for). */
  shutDown(): void {
    this.#shutdowns++;
    const drops = [...this.#drops];
    this.#drops.clear();
    for (const drop of drops) drop();
  }
}
