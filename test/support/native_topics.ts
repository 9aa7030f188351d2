/**
 * An in-memory stand-in for Bun's native pub/sub, so the core's registry can be tested with
 * native members without Bun. A `NativeServer` is one `Bun.serve`: it keeps topic → sockets; a
 * socket's `publish` reaches every subscriber of its server but that socket (`ws.publish`), and
 * the server's `publish` reaches every subscriber of that server (`server.publish`).
 *
 * Measured on Bun 1.4.5 and modelled here: a socket need not be subscribed to publish; its
 * subscriptions are gone before the close handler runs; `subscribe`/`unsubscribe` on a closed
 * socket do nothing; `ws.publish` from a closed socket still reaches the others.
 */
import type { SocketEvents } from "../../src/socket_port.ts";
import type { NativeServer as CoreNativeServer, NativeTopics } from "../../src/topics.ts";

type Receiver = (message: string | Uint8Array) => void;

/** One socket of a {@link NativeServer}, as the adapter sees it. */
export interface NativeSocket {
  /** What the Bun adapter's port carries as `native`. */
  readonly native: NativeTopics;
  /** The events the adapter reports: the runtime drops the socket's topics before `closed`. */
  report(events: SocketEvents): SocketEvents;
}

export class NativeServer implements CoreNativeServer {
  readonly #subscribers = new Map<string, Set<Receiver>>();
  /** Every publish the core asked of this runtime, in order: `"server <topic>"` or `"socket <topic>"`. */
  readonly publishes: string[] = [];

  /** The server-level publish. */
  publish(topic: string, message: string | Uint8Array): void {
    this.publishes.push(`server ${topic}`);
    this.#deliver(topic, message, undefined);
  }

  /** Like Bun's `server.subscriberCount(topic)`. */
  subscriberCount(topic: string): number {
    return this.#subscribers.get(topic)?.size ?? 0;
  }

  /** A new socket of this server; `receive` gets what the runtime delivers to it. */
  socket(receive: Receiver): NativeSocket {
    let open = true;
    const leaveAll = () => {
      for (const topic of [...this.#subscribers.keys()]) this.#leave(topic, receive);
    };
    const native: NativeTopics = {
      subscribe: (topic) => {
        if (!open) return;
        let set = this.#subscribers.get(topic);
        if (!set) this.#subscribers.set(topic, (set = new Set()));
        set.add(receive);
      },
      unsubscribe: (topic) => {
        if (open) this.#leave(topic, receive);
      },
      publish: (topic, message) => {
        this.publishes.push(`socket ${topic}`);
        this.#deliver(topic, message, receive);
      },
      server: this,
    };
    return {
      native,
      report: (events) => ({
        open: () => events.open(),
        message: (message, isBinary) => events.message(message, isBinary),
        fail: (error) => events.fail(error),
        closed: (code, reason) => {
          open = false;
          leaveAll();
          events.closed(code, reason);
        },
        drain: () => events.drain(),
        pong: (payload) => events.pong(payload),
        close: (code, reason) => events.close(code, reason),
      }),
    };
  }

  #leave(topic: string, receive: Receiver): void {
    const set = this.#subscribers.get(topic);
    set?.delete(receive);
    if (set?.size === 0) this.#subscribers.delete(topic);
  }

  #deliver(topic: string, message: string | Uint8Array, except: Receiver | undefined): void {
    for (const receive of this.#subscribers.get(topic) ?? []) if (receive !== except) receive(message);
  }
}
