/**
 * Keeps the channels a Redis connection listens to in line with the topics this instance wants,
 * whatever order the app's subscribes and unsubscribes come in and whatever the connection does.
 *
 * One command per topic is in flight at a time; when it settles, the topic is compared with
 * what is wanted now, so a leave-join-leave burst ends in the state last asked for, never in a
 * leaked or doubled subscription. A command that fails (the connection dropped) leaves the topic
 * as it was confirmed; `resync()`, called once the connection is back, issues what is missing.
 */

/** The two commands, as promises that settle with Redis's reply. */
export interface ChannelCommands {
  subscribe(topic: string): Promise<unknown>;
  unsubscribe(topic: string): Promise<unknown>;
}

export class TopicSubscriptions {
  /** Topics with a local subscriber: what Redis should be told. */
  readonly #wanted = new Set<string>();
  /** Topics Redis confirmed (and that a reconnecting client subscribes again by itself). */
  readonly #active = new Set<string>();
  /** Topics with a command in flight. */
  readonly #busy = new Set<string>();
  readonly #commands: ChannelCommands;
  readonly #failed: (error: unknown, topic: string) => void;
  #closed = false;

  constructor(commands: ChannelCommands, failed: (error: unknown, topic: string) => void) {
    this.#commands = commands;
    this.#failed = failed;
  }

  want(topic: string): void {
    this.#wanted.add(topic);
    this.#sync(topic);
  }

  drop(topic: string): void {
    this.#wanted.delete(topic);
    this.#sync(topic);
  }

  /** Whether Redis confirmed a subscription to `topic` that is still wanted. */
  isActive(topic: string): boolean {
    return this.#active.has(topic) && this.#wanted.has(topic);
  }

  /** Re-issues whatever differs from what is wanted (after a reconnect). */
  resync(): void {
    for (const topic of new Set([...this.#wanted, ...this.#active])) this.#sync(topic);
  }

  /** Forgets everything and issues nothing more (the connection is closed for good). */
  clear(): void {
    this.#closed = true;
    this.#wanted.clear();
    this.#active.clear();
  }

  #sync(topic: string): void {
    if (this.#closed) return;
    // The command in flight re-checks when it settles.
    if (this.#busy.has(topic)) return;
    const want = this.#wanted.has(topic);
    if (want === this.#active.has(topic)) return;
    this.#busy.add(topic);
    const command = want ? this.#commands.subscribe(topic) : this.#commands.unsubscribe(topic);
    command.then(
      () => {
        if (want) this.#active.add(topic);
        else this.#active.delete(topic);
        this.#busy.delete(topic);
        this.#sync(topic);
      },
      (error: unknown) => {
        // No retry here: the connection is likely down, and resync() runs when it is back.
        this.#busy.delete(topic);
        this.#failed(error, topic);
      },
    );
  }
}
