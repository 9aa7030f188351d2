/**
 * The Redis broker itself: two node-redis clients (one publishes, one listens), the channel
 * subscriptions, echo dropping, status and outage reporting.
 */
import { Buffer } from "node:buffer";
import { createClient } from "redis";
import type { BrokerHost } from "../../src/broker.ts";
import { exceedsLimit, utf8Length } from "../../src/limits.ts";
import { decodeEnvelope, encodeEnvelope, newInstanceId, sameInstance } from "./envelope.ts";
import { resolveOptions } from "./options.ts";
import { ReportThrottle } from "./report_throttle.ts";
import { TopicSubscriptions } from "./subscriptions.ts";
import type { RedisBroker, RedisBrokerOptions, RedisBrokerStats, RedisBrokerStatus } from "./types.ts";

type Client = ReturnType<typeof createClient>;

export class RedisPubSub implements RedisBroker {
  readonly instanceId: string;
  readonly stats: RedisBrokerStats = { published: 0, received: 0, notCarried: 0, malformed: 0, oversized: 0 };
  #status: RedisBrokerStatus = "connecting";
  readonly #id = newInstanceId();
  readonly #prefix: string;
  readonly #options: RedisBrokerOptions;
  readonly #pub: Client;
  readonly #sub: Client;
  readonly #topics: TopicSubscriptions;
  readonly #ready: Promise<void>;
  #notReady: ((error: Error) => void) | undefined;
  #host: BrokerHost | undefined;
  /** Whether this outage's first lost publish was reported yet. */
  #lossReported = false;
  #lastError: Error | undefined;
  /** Bytes of publishes handed to Redis and not answered yet, and their bound. */
  #pendingBytes = 0;
  readonly #maxPending: number;
  /** Whether the current stall (the bound reached) was reported yet. */
  #stallReported = false;
  /** Payload bytes one message may have, either way (`maxMessageBytes`). */
  readonly #maxMessage: number;
  /** Least ms between two reports of one kind of dropped message. */
  readonly #reportInterval: number;
  /** Channel messages not in the format, channel messages over the bound, local publishes over it. */
  readonly #throttles: Record<"malformed" | "oversized" | "oversizedPublish", ReportThrottle>;
  #closing: Promise<void> | undefined;

  constructor(options: RedisBrokerOptions) {
    const resolved = resolveOptions(options);
    this.#options = options;
    this.#prefix = resolved.prefix;
    this.instanceId = [...this.#id].map((b) => b.toString(16).padStart(2, "0")).join("");
    const maxDelay = resolved.maxReconnectDelay;
    this.#maxPending = resolved.maxPendingBytes;
    this.#maxMessage = resolved.maxMessageBytes;
    this.#reportInterval = resolved.reportInterval;
    this.#throttles = {
      malformed: new ReportThrottle(this.#reportInterval),
      oversized: new ReportThrottle(this.#reportInterval),
      oversizedPublish: new ReportThrottle(this.#reportInterval),
    };
    this.#pub = createClient({
      url: resolved.url,
      // A queue would hold every publish of an outage in memory and send it all, late, after.
      disableOfflineQueue: true,
      socket: { reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, maxDelay) + Math.floor(Math.random() * 50) },
    });
    // The listening side: node-redis sends (un)subscribes even without an offline queue; one
    // cut off by a lost connection fails, and resync (below) puts things right once it is back.
    this.#sub = this.#pub.duplicate();
    // One listener for every channel: node-redis keeps listeners per channel and only sends
    // UNSUBSCRIBE when a channel has none left, so per-topic closures could outlive their topic.
    const listener = (bytes: Buffer, channel: Buffer) => this.#receive(channel.toString().slice(this.#prefix.length), bytes);
    this.#topics = new TopicSubscriptions(
      {
        subscribe: (topic) => this.#sub.subscribe(this.#prefix + topic, listener, true),
        unsubscribe: (topic) => this.#sub.unsubscribe(this.#prefix + topic, listener, true),
      },
      (error, topic) => {
        // Expected while disconnected (resync repairs it); anything else is worth a report.
        if (this.#status !== "closed" && this.#sub.isReady) this.#report(new Error(`(un)subscribing "${topic}" failed: ${String(error)}`));
      },
    );
    for (const client of [this.#pub, this.#sub]) {
      // A connect still in progress at close() cannot be cancelled: end it when it completes.
      client.on("connect", () => this.#status === "closed" && destroy(client));
      client.on("error", (error: Error) => this.#trouble(error));
      client.on("reconnecting", () => this.#down(undefined));
      client.on("ready", () => this.#up());
    }
    this.#sub.on("ready", () => this.#topics.resync());
    this.#ready = new Promise((resolve, reject) => {
      this.#notReady = reject;
      const check = () => this.#status === "ready" && resolve();
      this.#pub.on("ready", check);
      this.#sub.on("ready", check);
    });
    // Nobody may be waiting on ready(); its rejection at close() must not be reported as unhandled.
    this.#ready.catch(() => {});
    for (const client of [this.#pub, this.#sub]) client.connect().catch((error: Error) => this.#down(error));
  }

  get status(): RedisBrokerStatus {
    return this.#status;
  }

  ready(): Promise<void> {
    return this.#ready;
  }

  start(host: BrokerHost): void {
    if (this.#host) throw new Error("this Redis broker already serves an app; create one broker per app");
    this.#host = host;
  }

  subscribe(topic: string): void {
    if (this.#status !== "closed") this.#topics.want(topic);
  }

  unsubscribe(topic: string): void {
    if (this.#status !== "closed") this.#topics.drop(topic);
  }

  publish(topic: string, message: string | Uint8Array): void {
    if (this.#status === "closed" || !this.#pub.isReady) return this.#notCarried(topic);
    // Every instance with the same bound would drop it unread: keep it off Redis, and say so
    // here, where the app can see which of its own publishes is too large.
    if (exceedsLimit(message, this.#maxMessage)) return this.#oversizedPublish(topic, message);
    const bytes = encodeEnvelope(this.#id, message);
    // A Redis that stops answering without closing the connection (frozen, or a partition with
    // no reset) looks connected until TCP gives up: bound what waits for its replies.
    if (this.#pendingBytes + bytes.byteLength > this.#maxPending) return this.#stalled(topic);
    this.#pendingBytes += bytes.byteLength;
    this.stats.published++;
    this.#pub.publish(this.#prefix + topic, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).then(
      () => this.#answered(bytes.byteLength),
      () => {
        this.#answered(bytes.byteLength);
        this.stats.published--;
        // Cut off by close(): counted, not reported (the app asked for it).
        if (this.#status === "closed") this.stats.notCarried++;
        else this.#notCarried(topic);
      },
    );
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#setStatus("closed");
      this.#notReady?.(new Error("the Redis broker was closed before Redis was reachable"));
      this.#topics.clear();
      await Promise.all([this.#pub, this.#sub].map(shut));
    })();
    return this.#closing;
  }

  #answered(bytes: number): void {
    this.#pendingBytes -= bytes;
    if (this.#pendingBytes === 0) this.#stallReported = false;
  }

  #stalled(topic: string): void {
    this.stats.notCarried++;
    if (this.#stallReported) return;
    this.#stallReported = true;
    this.#report(new Error(`a publish to "${topic}" did not reach other instances: ${this.#pendingBytes} bytes already wait for Redis to answer (maxPendingBytes)`));
  }

  #receive(topic: string, bytes: Buffer): void {
    // This runs inside node-redis's reply parser: nothing may throw out of it.
    try {
      // Checked before anything is decoded or copied: each local subscriber would take its own
      // copy past its slow-reader bound, so one large message costs its size times theirs.
      const envelope = decodeEnvelope(bytes, this.#maxMessage);
      if (envelope.kind !== "message") return this.#dropped(envelope.kind, topic, envelope.why);
      if (sameInstance(envelope.from, this.#id)) return;
      this.stats.received++;
      this.#host?.deliver(topic, envelope.message);
    } catch (error) {
      this.#report(new Error(`delivering a message on "${topic}" failed: ${String(error)}`, { cause: error }));
    }
  }

  /**
   * A channel message dropped: not in the format, or over `maxMessageBytes`. Anyone who can
   * publish to the channel can send either as fast as Redis relays them: each one is counted,
   * but reported at most once per interval (see `ReportThrottle`).
   */
  #dropped(kind: "malformed" | "oversized", topic: string, why: string): void {
    this.stats[kind]++;
    const heldBack = this.#throttles[kind].take();
    if (heldBack === undefined) return;
    this.#report(new Error(`dropped a message on channel "${this.#prefix}${topic}": ${why}${this.#more(heldBack, `${kind} messages`, `stats.${kind}`)}`));
  }

  /** A local publish over `maxMessageBytes`: local subscribers have it, other instances do not. */
  #oversizedPublish(topic: string, message: string | Uint8Array): void {
    this.stats.notCarried++;
    const heldBack = this.#throttles.oversizedPublish.take();
    if (heldBack === undefined) return;
    const size = typeof message === "string" ? utf8Length(message) : message.byteLength;
    this.#report(
      new Error(
        `a publish to "${topic}" did not reach other instances: its ${size} bytes are over maxMessageBytes (${this.#maxMessage})${this.#more(heldBack, "oversized publishes", "stats.notCarried")}`,
      ),
    );
  }

  /** The end of a rate-bounded report: how many were held back, and where all are counted. */
  #more(heldBack: number, what: string, counter: string): string {
    const more = heldBack === 0 ? "" : `, and ${heldBack} more ${what} since the previous report`;
    // Said in every report, so that silence after the first is not read as "no more of them".
    const bound = this.#reportInterval > 0 ? ` (all counted in ${counter}; reported at most once every ${this.#reportInterval} ms)` : "";
    return more + bound;
  }

  #up(): void {
    if (this.#status === "closed" || !this.#pub.isReady || !this.#sub.isReady) return;
    this.#lossReported = false;
    this.#setStatus("ready");
  }

  /** A client's `error` event: a lost or refused connection, or (rarely) a bad reply. */
  #trouble(error: Error): void {
    this.#lastError = error;
    if (!this.#pub.isReady || !this.#sub.isReady) this.#down(error);
    else if (this.#status !== "closed") this.#report(error);
  }

  #down(error: Error | undefined): void {
    if (this.#status === "closed" || this.#status === "down") return;
    const first = this.#status === "connecting";
    this.#setStatus("down");
    const cause = error ?? this.#lastError;
    this.#report(new Error(`Redis ${first ? "is not reachable" : "connection lost"} (${cause?.message ?? "reconnecting"}); publishes stay on this instance until it is back`, { cause }));
  }

  #notCarried(topic: string): void {
    this.stats.notCarried++;
    if (this.#lossReported) return;
    this.#lossReported = true;
    this.#report(new Error(`a publish to "${topic}" did not reach other instances: Redis is ${this.#status === "closed" ? "closed" : "not reachable"} (counted in stats.notCarried)`));
  }

  #setStatus(status: RedisBrokerStatus): void {
    if (this.#status === status) return;
    this.#status = status;
    // Called from node-redis's socket events: a throwing callback must not escape into them.
    try {
      this.#options.onstatus?.(status);
    } catch (error) {
      console.error("[rookery] [redis broker] onstatus threw", error);
    }
  }

  #report(error: Error): void {
    try {
      if (this.#options.onerror) this.#options.onerror(error);
      else if (this.#host) this.#host.log(`[redis broker] ${error.message}`, error.cause);
      else console.error(`[rookery] [redis broker] ${error.message}`);
    } catch (thrown) {
      console.error("[rookery] [redis broker] onerror threw", thrown);
    }
  }
}

/**
 * Closes a client: gracefully when connected (waiting at most 1 s for Redis's answer), then
 * destroys the socket whatever happened (a no-op after a graceful close).
 */
async function shut(client: Client): Promise<void> {
  if (client.isReady) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([client.close().catch(() => {}), new Promise((r) => (timer = setTimeout(r, 1000)))]);
    clearTimeout(timer);
  }
  destroy(client);
}

function destroy(client: Client): void {
  try {
    client.destroy();
  } catch {
    // Already closed.
  }
}
