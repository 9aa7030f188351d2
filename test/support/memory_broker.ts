/**
 * An in-process stand-in for Redis pub/sub: a hub that several apps' brokers join, so the core's
 * broker seam can be tested without a network. Delivery is asynchronous (a microtask), like a
 * real broker, and every broker call is recorded.
 */
import type { Broker, BrokerHost } from "../../src/broker.ts";

export class MemoryHub {
  readonly #members: { broker: MemoryBroker; topics: Set<string> }[] = [];

  /** A broker for one more instance of the app. */
  broker(): MemoryBroker {
    return new MemoryBroker(this);
  }

  /** @internal */
  join(broker: MemoryBroker, topics: Set<string>): void {
    this.#members.push({ broker, topics });
  }

  /** @internal Every member subscribed to `topic` but the sender (a real broker drops its own echo). */
  route(topic: string, message: string | Uint8Array, from: MemoryBroker): void {
    for (const { broker, topics } of this.#members) {
      if (broker !== from && topics.has(topic)) queueMicrotask(() => broker.receive(topic, message));
    }
  }
}

export class MemoryBroker implements Broker {
  readonly calls: string[] = [];
  readonly topics = new Set<string>();
  #host: BrokerHost | undefined;
  readonly #hub: MemoryHub;

  constructor(hub: MemoryHub) {
    this.#hub = hub;
  }

  start(host: BrokerHost): void {
    if (this.#host) throw new Error("this broker already serves an app");
    this.#host = host;
    this.#hub.join(this, this.topics);
  }

  subscribe(topic: string): void {
    this.calls.push(`subscribe ${topic}`);
    this.topics.add(topic);
  }

  unsubscribe(topic: string): void {
    this.calls.push(`unsubscribe ${topic}`);
    this.topics.delete(topic);
  }

  publish(topic: string, message: string | Uint8Array): void {
    this.calls.push(`publish ${topic}`);
    this.#hub.route(topic, message, this);
  }

  /** @internal */
  receive(topic: string, message: string | Uint8Array): void {
    this.#host!.deliver(topic, message);
  }
}
