/**
 * Negotiating permessage-deflate (RFC 7692) in the opening handshake: the user's options, the
 * client's `Sec-WebSocket-Extensions` offers, and the answer. Pure string work; compressing is
 * the codec's business.
 */

/**
 * Options for permessage-deflate, as a user writes them. Every field is optional; `true` in
 * place of the object means all the defaults.
 */
export interface DeflateOptions {
  /**
   * Messages smaller than this many bytes are sent uncompressed, since deflate's framing costs
   * more than it saves on them. `0` compresses everything; `Infinity` never compresses outgoing
   * messages but still accepts compressed ones. Default 1024.
   */
  threshold?: number;
  /**
   * Reset the server's compressor after every message (`server_no_context_takeover`): no
   * compressor memory kept between messages, at the price of a worse ratio. Default `false`.
   * A client that asks for it gets it regardless.
   */
  serverNoContextTakeover?: boolean;
  /**
   * Ask the client to reset its compressor after every message (`client_no_context_takeover`),
   * so the server need not keep an inflate window between messages. Default `false`.
   */
  clientNoContextTakeover?: boolean;
  /**
   * The largest LZ77 window, as a power of two, the server compresses with: 9 to 15. Default 15.
   * A client may ask for a smaller one. 8 is refused because zlib cannot deflate raw streams with
   * a 256-byte window (it silently uses 512), which would break the promise made to the client.
   */
  serverMaxWindowBits?: number;
  /**
   * The largest LZ77 window, as a power of two, the client may compress with: 8 to 15. Default 15.
   * Below 15, only clients that announce `client_max_window_bits` can be accepted, because the
   * RFC forbids sending the parameter to those that did not.
   */
  clientMaxWindowBits?: number;
  /**
   * zlib compression level, 0 (store) to 9 (smallest). Default 1: the server compresses once per
   * connection, so CPU is what limits it, and on the short, repetitive JSON that WebSocket
   * messages mostly are, level 1 gets most of the ratio of zlib's default 6 at a fraction of the
   * cost.
   */
  level?: number;
  /** zlib `memLevel`, 1 to 9: memory for the compressor's internal state. Default 8, zlib's own. */
  memLevel?: number;
}

/** {@link DeflateOptions} with every field filled in, as {@link checkDeflateOptions} returns it. */
export interface ResolvedDeflate {
  readonly threshold: number;
  readonly serverNoContextTakeover: boolean;
  readonly clientNoContextTakeover: boolean;
  readonly serverMaxWindowBits: number;
  readonly clientMaxWindowBits: number;
  readonly level: number;
  readonly memLevel: number;
}

/** What was agreed with one client: everything the codec needs to compress and decompress. */
export interface NegotiatedDeflate {
  /** Reset the server's compressor after every message. */
  readonly serverNoContextTakeover: boolean;
  /**
   * The client resets its compressor after every message, so no inflate window need be kept
   * between messages.
   */
  readonly clientNoContextTakeover: boolean;
  /** The window bits (9 to 15) to deflate outgoing messages with. */
  readonly serverMaxWindowBits: number;
  /**
   * The largest window (8 to 15) the client may compress with; 15 when nothing was agreed.
   * Inflating with a larger window is always safe, and zlib-based clients told 8 use 9, so a
   * zlib inflater should use at least 9.
   */
  readonly clientMaxWindowBits: number;
  /** Messages smaller than this many bytes are sent uncompressed. */
  readonly threshold: number;
  /** zlib compression level. */
  readonly level: number;
  /** zlib `memLevel`. */
  readonly memLevel: number;
}

/** One parameter of an extension offer; `value` is `null` when the parameter has none. */
export interface ExtensionParam {
  /** Lower-cased parameter name. */
  readonly name: string;
  /** The value with any quoting removed, or `null` for a valueless parameter. */
  readonly value: string | null;
}

/** One extension from a `Sec-WebSocket-Extensions` header, with its parameters in order. */
export interface ExtensionOffer {
  /** Lower-cased extension name, such as `permessage-deflate`. */
  readonly name: string;
  /** The parameters as written, duplicates included, so the negotiator can refuse them. */
  readonly params: readonly ExtensionParam[];
}

/** The extension token of RFC 7692. */
export const PERMESSAGE_DEFLATE = "permessage-deflate";

/** The defaults `true` stands for. */
export const DEFAULT_DEFLATE: ResolvedDeflate = Object.freeze({
  threshold: 1024,
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
  level: 1,
  memLevel: 8,
});

/** The smallest window zlib really deflates a raw stream with. */
const MIN_DEFLATE_WINDOW_BITS = 9;

const OPTION_NAMES = Object.keys(DEFAULT_DEFLATE);

/**
 * Validates a `perMessageDeflate` setting: `false` turns compression off and is returned as is,
 * `true` means {@link DEFAULT_DEFLATE}, an object is checked field by field and completed with
 * the defaults. Throws a `TypeError` for a value of the wrong type or an unknown field (most
 * likely a typo), a `RangeError` for a number out of range, each naming `where` and the field.
 */
export function checkDeflateOptions(value: boolean | DeflateOptions, where: string): ResolvedDeflate | false {
  if (value === false) return false;
  if (value === true) return { ...DEFAULT_DEFLATE };
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(`${where} must be true, false or an options object, got ${show(value)}`);
  }
  for (const key of Object.keys(value)) {
    if (!OPTION_NAMES.includes(key)) {
      throw new TypeError(`${where} has no option ${JSON.stringify(key)}; the options are ${OPTION_NAMES.join(", ")}`);
    }
  }
  return {
    threshold: checkThreshold(value.threshold, `${where}.threshold`),
    serverNoContextTakeover: checkBoolean(value.serverNoContextTakeover, `${where}.serverNoContextTakeover`, DEFAULT_DEFLATE.serverNoContextTakeover),
    clientNoContextTakeover: checkBoolean(value.clientNoContextTakeover, `${where}.clientNoContextTakeover`, DEFAULT_DEFLATE.clientNoContextTakeover),
    serverMaxWindowBits: checkInteger(
      value.serverMaxWindowBits,
      `${where}.serverMaxWindowBits`,
      MIN_DEFLATE_WINDOW_BITS,
      15,
      DEFAULT_DEFLATE.serverMaxWindowBits,
      " (zlib cannot deflate with a window of 8 bits)",
    ),
    clientMaxWindowBits: checkInteger(value.clientMaxWindowBits, `${where}.clientMaxWindowBits`, 8, 15, DEFAULT_DEFLATE.clientMaxWindowBits),
    level: checkInteger(value.level, `${where}.level`, 0, 9, DEFAULT_DEFLATE.level),
    memLevel: checkInteger(value.memLevel, `${where}.memLevel`, 1, 9, DEFAULT_DEFLATE.memLevel),
  };
}

function checkThreshold(value: unknown, where: string): number {
  if (value === undefined) return DEFAULT_DEFLATE.threshold;
  if (typeof value !== "number") throw new TypeError(`${where} must be a number of bytes, got ${show(value)}`);
  if (!(value >= 0) || (value !== Infinity && !Number.isSafeInteger(value))) {
    throw new RangeError(`${where} must be a whole number of bytes from 0, or Infinity, got ${value}`);
  }
  return value;
}

function checkBoolean(value: unknown, where: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") throw new TypeError(`${where} must be true or false, got ${show(value)}`);
  return value;
}

function checkInteger(value: unknown, where: string, min: number, max: number, fallback: number, why = ""): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number") throw new TypeError(`${where} must be a number, got ${show(value)}`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${where} must be a whole number from ${min} to ${max}, got ${value}${why}`);
  }
  return value;
}

function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object" && value !== null) return "an object";
  return String(value);
}

const TCHAR = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Parses a `Sec-WebSocket-Extensions` header (RFC 6455 §9.1) into its extensions, in order.
 * Several header lines arrive joined with ", " by `Headers`, which is the same list. Names are
 * lower-cased (they are case-insensitive tokens); quoted values are unquoted and must then be
 * tokens. Empty list elements are skipped (RFC 7230 §7).
 *
 * A malformed header yields `[]`, never an exception: the RFC lets the server fail the
 * handshake, but answering without extensions is just as correct and keeps a broken or hostile
 * client from turning its header into a 400. Nothing is salvaged from a malformed header, since
 * once the syntax is off, where one offer ends and the next begins is guesswork.
 */
export function parseExtensions(header: string | null): ExtensionOffer[] {
  if (header === null) return [];
  const offers: ExtensionOffer[] = [];
  const scan = { text: header, at: 0 };
  for (;;) {
    skipSpace(scan);
    if (scan.at >= header.length) return offers;
    if (header[scan.at] === ",") {
      scan.at++;
      continue;
    }
    const name = readToken(scan);
    if (name === "") return [];
    const params: ExtensionParam[] = [];
    skipSpace(scan);
    while (header[scan.at] === ";") {
      scan.at++;
      skipSpace(scan);
      const param = readParam(scan);
      if (param === undefined) return [];
      params.push(param);
      skipSpace(scan);
    }
    if (scan.at < header.length && header[scan.at] !== ",") return [];
    offers.push({ name: name.toLowerCase(), params });
  }
}

interface Scan {
  readonly text: string;
  at: number;
}

function skipSpace(scan: Scan): void {
  while (scan.text[scan.at] === " " || scan.text[scan.at] === "\t") scan.at++;
}

function readToken(scan: Scan): string {
  const start = scan.at;
  // charAt is "" past the end, which is no token character.
  while (TCHAR.test(scan.text.charAt(scan.at))) scan.at++;
  return scan.text.slice(start, scan.at);
}

function readParam(scan: Scan): ExtensionParam | undefined {
  const name = readToken(scan);
  if (name === "") return undefined;
  skipSpace(scan);
  if (scan.text[scan.at] !== "=") return { name: name.toLowerCase(), value: null };
  scan.at++;
  skipSpace(scan);
  const value = scan.text[scan.at] === '"' ? readQuoted(scan) : readToken(scan);
  if (value === undefined || !TOKEN.test(value)) return undefined;
  return { name: name.toLowerCase(), value };
}

/** A quoted-string's content with quoted-pairs resolved, or `undefined` if it never closes. */
function readQuoted(scan: Scan): string | undefined {
  let value = "";
  scan.at++;
  while (scan.at < scan.text.length) {
    const c = scan.text[scan.at++];
    if (c === '"') return value;
    // A backslash at the very end adds nothing; the missing closing quote rejects it below.
    if (c === "\\") value += scan.text.charAt(scan.at++);
    else value += c;
  }
  return undefined;
}

/** RFC 7692 §7.1.2: 8 to 15 in decimal, no sign, no leading zero. */
const WINDOW_BITS = /^(?:[89]|1[0-5])$/;

/**
 * Picks the first permessage-deflate offer this server can honour under `options` and builds
 * the answer (RFC 7692 §5, §7.1). Returns `undefined` when there is none: the handshake then
 * goes ahead without compression.
 *
 * An offer is declined, never failed, when it has an unknown or repeated parameter, a value on
 * a valueless parameter, a window size other than `8`..`15` (no sign, no leading zero; only
 * `client_max_window_bits` may omit it), when it asks for a server window of 8 bits (zlib cannot
 * deflate with one, and the RFC forbids a larger window than asked), or when `options` limit the
 * client's window but the offer does not announce `client_max_window_bits`.
 *
 * `response` is the exact `Sec-WebSocket-Extensions` value to send back.
 */
export function negotiateDeflate(
  offers: readonly ExtensionOffer[],
  options: ResolvedDeflate,
): { response: string; params: NegotiatedDeflate } | undefined {
  for (const offer of offers) {
    if (offer.name !== PERMESSAGE_DEFLATE) continue;
    const accepted = acceptOffer(offer.params, options);
    if (accepted) return accepted;
  }
  return undefined;
}

function acceptOffer(
  offered: readonly ExtensionParam[],
  options: ResolvedDeflate,
): { response: string; params: NegotiatedDeflate } | undefined {
  const seen = new Set<string>();
  let serverNoContextTakeover = options.serverNoContextTakeover;
  let clientNoContextTakeover = options.clientNoContextTakeover;
  let serverBits = options.serverMaxWindowBits;
  let serverBitsOffered = false;
  let clientBits = options.clientMaxWindowBits;
  let clientBitsOffered = false;
  for (const { name, value } of offered) {
    if (seen.has(name)) return undefined;
    seen.add(name);
    switch (name) {
      case "server_no_context_takeover":
        if (value !== null) return undefined;
        serverNoContextTakeover = true;
        break;
      case "client_no_context_takeover":
        // Only a hint that the client will reset anyway; echoing it makes the promise binding
        // and lets the codec drop the inflate window between messages.
        if (value !== null) return undefined;
        clientNoContextTakeover = true;
        break;
      case "server_max_window_bits":
        if (!WINDOW_BITS.test(value ?? "")) return undefined;
        serverBits = Math.min(serverBits, Number(value));
        serverBitsOffered = true;
        break;
      case "client_max_window_bits":
        if (value !== null) {
          if (!WINDOW_BITS.test(value)) return undefined;
          // The client will stay within its own figure anyway; answering it lets us inflate
          // with no bigger a window than needed.
          clientBits = Math.min(clientBits, Number(value));
        }
        clientBitsOffered = true;
        break;
      default:
        return undefined;
    }
  }
  if (serverBits < MIN_DEFLATE_WINDOW_BITS) return undefined;
  if (clientBits < 15 && !clientBitsOffered) return undefined;

  const response = [PERMESSAGE_DEFLATE];
  if (serverNoContextTakeover) response.push("server_no_context_takeover");
  if (clientNoContextTakeover) response.push("client_no_context_takeover");
  // Accepting an offered server_max_window_bits means echoing it (§7.1.2.1), even at 15.
  if (serverBitsOffered || serverBits < 15) response.push(`server_max_window_bits=${serverBits}`);
  if (clientBits < 15) response.push(`client_max_window_bits=${clientBits}`);
  return {
    response: response.join("; "),
    params: {
      serverNoContextTakeover,
      clientNoContextTakeover,
      serverMaxWindowBits: serverBits,
      clientMaxWindowBits: clientBits,
      threshold: options.threshold,
      level: options.level,
      memLevel: options.memLevel,
    },
  };
}
