/**
 * Bounds how often one kind of event is reported. Anyone who can publish to the Redis channels
 * can send junk (or oversized messages) as fast as Redis relays them, and a client can make the
 * app publish oversized messages as fast as it sends them: one report each would flood
 * `onerror` and the logs.
 *
 * The first event is reported at once; later ones within the interval are only counted, and
 * the first one after it is reported with how many were held back since the previous report.
 * No timer: the count held back goes out with the next report, so nothing is scheduled, nothing
 * can keep the process alive and nothing needs clearing at `close()`.
 */
export class ReportThrottle {
  readonly #interval: number;
  /** When the last report was made (`performance.now()`, monotonic). */
  #reportedAt = -Infinity;
  #heldBack = 0;

  /** `interval`: least ms between two reports; `0` reports every event. */
  constructor(interval: number) {
    this.#interval = interval;
  }

  /**
   * Call once per event. Returns how many events were held back since the previous report when
   * this one is to be reported, or `undefined` when it is only counted.
   */
  take(): number | undefined {
    const now = performance.now();
    if (now - this.#reportedAt < this.#interval) {
      this.#heldBack++;
      return undefined;
    }
    const heldBack = this.#heldBack;
    this.#reportedAt = now;
    this.#heldBack = 0;
    return heldBack;
  }
}
