/**
 * Topics: topic → subscribers, with each subscriber's own set of topics as the reverse index,
 * so a closing connection leaves every topic in O(its topics).
 *
 * Subscribers whose runtime has native pub/sub are subscribed natively and reached by the
 * runtime's own publish, once per server (the adapter gives each server's {@link NativeServer});
 * the registry still counts them, so `subscribers(topic)` and `conn.topics` are the same everywhere.
 *
 * With a broker, the registry tells it when a topic gains its first local subscriber or loses
 * its last, hands it every local publish, and delivers what it brings from other instances.
 */
import type { Logger } from "./logger.ts";
import type { Broker } from "./broker.ts";
import type { SendStatus } from "./connection.ts";
import { PreparedMessage } from "./prepared_message.ts";

/**
 * A runtime server with its own pub/sub (Bun's `server.publish`): one object per server, which
 * the registry publishes through once per message.
 */
export interface NativeServer {
  /** Publishes to every subscriber on this server. */
  publish(topic: string, message: string | Uint8Array): void;
}

/** A runtime's pub/sub for one socket (Bun's `ws.subscribe`/`ws.publish`). */
export interface NativeTopics {
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
  /** Publishes to every subscriber on this socket's server except this socket. */
  publish(topic: string, message: string | Uint8Array): void;
  /** The server this socket belongs to. */
  readonly server: NativeServer;
}

/** What the registry needs of a connection. */
export interface TopicMember {
  readonly topics: Set<string>;
  send(message: string | Uint8Array | PreparedMessage): SendStatus;
  readonly native: NativeTopics | undefined;
}

export class TopicRegistry {
  /** Subscribers the core delivers to itself. */
  readonly #local = new Map<string, Set<TopicMember>>();
  /** How many native subscribers each topic has. */
  readonly #native = new Map<string, number>();
  /** Native servers with at least one subscribed socket, with their socket counts. */
  readonly #servers = new Map<NativeServer, number>();
  readonly #broker: Broker | undefined;
  readonly #log: Logger;

  constructor(broker?: Broker, log: Logger = () => {}) {
    this.#broker = broker;
    this.#log = log;
    broker?.start({ deliver: (topic, message) => this.#fanOut(topic, message), log });
  }

  subscribe(member: TopicMember, topic: string): void {
    if (member.topics.has(topic)) return;
    if (this.#broker && this.count(topic) === 0) this.#tell("subscribe", topic);
    member.topics.add(topic);
    if (member.native) {
      member.native.subscribe(topic);
      this.#native.set(topic, (this.#native.get(topic) ?? 0) + 1);
      if (member.topics.size === 1) this.#servers.set(member.native.server, (this.#servers.get(member.native.server) ?? 0) + 1);
      return;
    }
    let set = this.#local.get(topic);
    if (!set) this.#local.set(topic, (set = new Set()));
    set.add(member);
  }

  unsubscribe(member: TopicMember, topic: string, socketOpen = true): void {
    if (!member.topics.delete(topic)) return;
    if (member.native) {
      if (socketOpen) member.native.unsubscribe(topic);
      decrement(this.#native, topic);
      if (member.topics.size === 0) decrement(this.#servers, member.native.server);
    } else {
      const set = this.#local.get(topic);
      set?.delete(member);
      if (set?.size === 0) this.#local.delete(topic);
    }
    if (this.#broker && this.count(topic) === 0) this.#tell("unsubscribe", topic);
  }

  /** Ends every subscription of a connection that has closed. */
  removeAll(member: TopicMember): void {
    for (const topic of [...member.topics]) this.unsubscribe(member, topic, false);
  }

  /** Number of subscribers of `topic`, on every runtime. */
  count(topic: string): number {
    return (this.#local.get(topic)?.size ?? 0) + (this.#native.get(topic) ?? 0);
  }

  /** Number of topics with at least one subscriber. */
  get size(): number {
    return new Set([...this.#local.keys(), ...this.#native.keys()]).size;
  }

  /**
   * Sends `message` to every subscriber of `topic` except `sender`, here and (through the
   * broker) on every other instance.
   */
  publish(topic: string, message: string | Uint8Array, sender?: TopicMember): void {
    this.#fanOut(topic, message, sender);
    if (this.#broker) this.#tell("publish", topic, message);
  }

  /** A broker method call; a broker that throws is logged, never allowed to break a handler. */
  #tell(method: "subscribe" | "unsubscribe" | "publish", topic: string, message?: string | Uint8Array): void {
    try {
      if (method === "publish") this.#broker!.publish(topic, message!);
      else this.#broker![method](topic);
    } catch (error) {
      this.#log(`broker.${method}("${topic}") threw`, error);
    }
  }

  /** Local delivery only. */
  #fanOut(topic: string, message: string | Uint8Array, sender?: TopicMember): void {
    const local = this.#local.get(topic);
    if (local) {
      // Encoded once for every subscriber whose socket writes its own frames.
      const prepared = local.size > 1 ? new PreparedMessage(message) : message;
      for (const member of local) if (member !== sender) member.send(prepared);
    }
    if (!this.#native.has(topic)) return;
    const own = sender?.native;
    // The sender's server excludes the sender itself; every other server publishes to all.
    if (own) own.publish(topic, message);
    for (const server of this.#servers.keys()) {
      if (server !== own?.server) server.publish(topic, message);
    }
  }
}

function decrement<K>(map: Map<K, number>, key: K): void {
  const n = (map.get(key) ?? 0) - 1;
  if (n > 0) map.set(key, n);
  else map.delete(key);
}
