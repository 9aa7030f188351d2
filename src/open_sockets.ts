import type { SocketEvents } from "./socket_port.ts";

/**
 * The open connections of one server, so it can shut down: close them all with one code and
 * wait until they are gone, or until a timeout.
 */
export class OpenSockets {
  readonly #open = new Set<SocketEvents>();
  #whenEmpty: (() => void)[] = [];

  get size(): number {
    return this.#open.size;
  }

  add(events: SocketEvents): void {
    this.#open.add(events);
  }

  delete(events: SocketEvents): void {
    this.#open.delete(events);
    if (this.#open.size === 0 && this.#whenEmpty.length > 0) for (const resolve of this.#whenEmpty.splice(0)) resolve();
  }

  /**
   * Closes every connection with `code`/`reason` and resolves once all have closed, or after
   * `timeoutMs` (the adapter then ends what is left). Resolves `true` when all closed in time.
   */
  closeAll(code: number, reason: string, timeoutMs: number): Promise<boolean> {
    if (this.#open.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.#whenEmpty.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
      for (const events of [...this.#open]) events.close(code, reason);
    });
  }
}
