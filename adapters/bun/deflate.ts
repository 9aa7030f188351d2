/**
 * permessage-deflate on Bun, which does the compressing itself: the server's compressor sizes,
 * each route's negotiation steered through the request's headers, and, per server, which topics
 * have subscribers that agreed compression (Bun compresses a publish once for all of them).
 * @module
 */
import type { Rookery } from "../../src/app.ts";
import { exceedsLimit } from "../../src/limits.ts";
import { type ExtensionOffer, type NegotiatedDeflate, negotiateDeflate, parseExtensions, type ResolvedDeflate } from "../../src/protocol/deflate_params.ts";
import type { NativeServer } from "../../src/topics.ts";
import { deflateSetting } from "../../src/upgrade.ts";
import type { BunCompressorSize, BunSocketData, BunWebSocketHandlers } from "./types.ts";

/** Compressor sizes by window bits, 9 to 15. */
const COMPRESSORS: readonly BunCompressorSize[] = ["4KB", "8KB", "16KB", "32KB", "64KB", "128KB", "256KB"];
/** Decompressor sizes by window bits, 8 to 15: Bun's smallest allows 11 bits, safe for less. */
const DECOMPRESSORS: readonly BunCompressorSize[] = ["3KB", "3KB", "3KB", "3KB", "4KB", "8KB", "16KB", "32KB"];

/** The compression settings in force for `app`: the app's own (later routes inherit it) and each route's. */
function deflateSettings(app: Rookery): ResolvedDeflate[] {
  const settings = app.routes.values().map((route) => deflateSetting(route, app));
  settings.push((app.options.perMessageDeflate ?? false) as ResolvedDeflate | false);
  return settings.filter((setting) => setting !== false);
}

/**
 * Bun's per-server `perMessageDeflate` for `app`: off unless the app or a route enables
 * compression, else the dedicated sizes ({@link BunCompressorSize}) of the largest
 * `serverMaxWindowBits` and `clientMaxWindowBits` in force, so that each connection can be agreed
 * its own route's windows and context takeover. A connection that agrees to no context takeover
 * gets Bun's shared compressor or decompressor (measured on Bun 1.4.5: no more memory than an
 * uncompressed one); one with context takeover gets a dedicated one, whose memory the size sets
 * whatever window was agreed (Bun has no `memLevel`), which is why the size is no larger than
 * the routes need.
 */
export function bunDeflate(app: Rookery): BunWebSocketHandlers["perMessageDeflate"] {
  const settings = deflateSettings(app);
  if (settings.length === 0) return false;
  const serverBits = Math.max(...settings.map((s) => s.serverMaxWindowBits));
  const clientBits = Math.max(...settings.map((s) => s.clientMaxWindowBits));
  return { compress: COMPRESSORS[serverBits - 9]!, decompress: DECOMPRESSORS[clientBits - 8]! };
}

/**
 * What Rookery agrees to with this client on a route with `setting`, within what Bun can do.
 * Bun declines `server_no_context_takeover` with a server window under 15 bits (it only resets
 * its shared compressor, whose window is 15): the window is dropped when only the route asked
 * for it (the shared compressor spends no memory per connection, which is what a small window
 * saves), and the offer declined when the client did.
 */
function agreeOnBun(offers: readonly ExtensionOffer[], setting: ResolvedDeflate): ReturnType<typeof negotiateDeflate> {
  const agreed = negotiateDeflate(offers, setting);
  if (!agreed?.params.serverNoContextTakeover || agreed.params.serverMaxWindowBits === 15) return agreed;
  // The offer chosen is the same: a larger server window makes no offer more or less acceptable.
  const relaxed = negotiateDeflate(offers, { ...setting, serverMaxWindowBits: 15 });
  return relaxed?.params.serverMaxWindowBits === 15 ? relaxed : undefined;
}

/**
 * Replaces the client's `Sec-WebSocket-Extensions` with what Rookery agrees to on this route (an
 * answer is a valid offer, and Bun accepts it as is), or removes it to decline: Bun negotiates
 * from the request's headers. Returns the agreement, `undefined` for none.
 */
export function steerNegotiation(req: Request, setting: ResolvedDeflate | false): NegotiatedDeflate | undefined {
  const header = req.headers.get("sec-websocket-extensions");
  if (header === null) return undefined;
  const agreed = setting ? agreeOnBun(parseExtensions(header), setting) : undefined;
  try {
    if (agreed) req.headers.set("sec-websocket-extensions", agreed.response);
    else req.headers.delete("sec-websocket-extensions");
  } catch {
    // Headers a wrapper made immutable: Bun then negotiates from the client's offer, and the
    // route's setting still decides which sends are compressed.
  }
  return agreed?.params;
}

/**
 * Per server: each topic's subscribers that agreed compression, as threshold → how many. Bun
 * compresses a publish once for all of them (the others get it plain whatever the flag), so it
 * is compressed only if it reaches the largest threshold.
 */
const compressingTopics = new WeakMap<NativeServer, Map<string, Map<number, number>>>();

/** Whether a publish of `message` to `topic` on `server` goes out compressed. */
export function compressesPublish(server: NativeServer, topic: string, message: string | Uint8Array): boolean {
  const thresholds = compressingTopics.get(server)?.get(topic);
  return thresholds !== undefined && exceedsLimit(message, Math.max(...thresholds.keys()) - 1);
}

/** Counts (or stops counting) a socket with compression agreed among `topic`'s subscribers. */
export function follow(data: BunSocketData, topic: string, subscribed: boolean): void {
  const deflate = data.deflate;
  if (!deflate || deflate.topics.has(topic) === subscribed) return;
  if (subscribed) deflate.topics.add(topic);
  else deflate.topics.delete(topic);
  let topics = compressingTopics.get(data.server);
  if (!topics) compressingTopics.set(data.server, (topics = new Map()));
  let counts = topics.get(topic);
  if (!counts) topics.set(topic, (counts = new Map()));
  const n = (counts.get(deflate.threshold) ?? 0) + (subscribed ? 1 : -1);
  if (n > 0) counts.set(deflate.threshold, n);
  else counts.delete(deflate.threshold);
  if (counts.size === 0) topics.delete(topic);
}
