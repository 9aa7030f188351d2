/**
 * RFC 6455 frame cases, one table for every transport: what a client writes on an open
 * WebSocket to `/echo` of `examples/echo.ts` (the default 64 MiB limit), and the server frames
 * that must come back. The same table runs over HTTP/1.1 (raw TCP) and over HTTP/2 streams
 * (RFC 8441) in `test/matrix/http2_frames.test.ts`, so a difference between the two transports
 * shows up as one case failing on one of them.
 *
 * Server frames are compared as {@link describeFrame} summaries: exact text for short texts,
 * length and a digest for long payloads, so a 1 MiB echo is checked byte for byte and a
 * failure still prints readably.
 */
import { createHash } from "node:crypto";
import { clientFrame, closeBody, type ServerFrame } from "./raw_client.ts";

/** One case: the client's writes and what the server answers. */
export interface FrameCase {
  readonly name: string;
  /** The client's bytes: each element is one write, a tick after the one before. */
  readonly writes: readonly Buffer[];
  /** Server frames expected in order (as {@link describeFrame} gives them) before any close. */
  readonly replies: readonly string[];
  /**
   * How the server ends the case. Absent: the connection stays open (the runner then closes it
   * with 1000 and expects that echoed). Otherwise the server's close frame, after which the
   * server ends the connection (TCP, or the HTTP/2 stream).
   */
  readonly close?: string;
  /** The server failed the connection (1002, 1007, 1008, 1009): the close is not an echo. */
  readonly failure?: boolean;
}

/** The limit `examples/echo.ts` runs with when `--max-payload` is not given: Rookery's default. */
export const DEFAULT_LIMIT = 64 * 1024 * 1024;

const TEXT = 1;
const BINARY = 2;
const CLOSE = 8;
const PING = 9;
const PONG = 10;

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Payload bytes as a short readable string: printable ASCII as is, else hex; long ones by length and digest. */
function show(bytes: Uint8Array): string {
  if (bytes.byteLength > 64) return `${bytes.byteLength}B:${createHash("sha1").update(bytes).digest("hex").slice(0, 12)}`;
  if (bytes.every((b) => b >= 0x20 && b < 0x7f)) return Buffer.from(bytes).toString("latin1");
  return `0x${Buffer.from(bytes).toString("hex")}`;
}

/**
 * A server frame as one comparable string: `text:…`, `binary:…`, `pong:…`, `close:<code>:<reason>`
 * (`close` alone for an empty body). A frame without FIN or with RSV1 says so, since the echo
 * server sends neither.
 */
export function describeFrame(frame: ServerFrame): string {
  const flags = `${frame.fin ? "" : "(no fin)"}${frame.rsv1 ? "(rsv1)" : ""}`;
  const { payload } = frame;
  switch (frame.opcode) {
    case TEXT: {
      let text: string;
      try {
        text = utf8.decode(payload);
      } catch {
        return `text${flags}:not UTF-8 ${show(payload)}`;
      }
      return `text${flags}:${payload.byteLength > 64 ? show(payload) : text}`;
    }
    case BINARY:
      return `binary${flags}:${payload.byteLength === 0 ? "0B" : show(payload)}`;
    case CLOSE:
      if (payload.byteLength === 0) return `close${flags}`;
      if (payload.byteLength === 1) return `close${flags}:${show(payload)}`;
      return `close${flags}:${payload.readUInt16BE(0)}:${payload.subarray(2).toString()}`;
    case PING:
      return `ping${flags}:${show(payload)}`;
    case PONG:
      return `pong${flags}:${show(payload)}`;
    default:
      return `opcode ${frame.opcode}${flags}:${show(payload)}`;
  }
}

const frame = (opcode: number, payload: Uint8Array | string): string =>
  describeFrame({ fin: true, rsv1: false, opcode, payload: Buffer.from(payload) });
const text = (payload: string | Uint8Array) => frame(TEXT, payload);
const binary = (payload: Uint8Array) => frame(BINARY, payload);
const pong = (payload: Uint8Array | string) => frame(PONG, payload);

/** A text of exactly `size` UTF-8 bytes with two-byte characters in it ("héllo wörld " is 14 bytes), so a wrong cut shows. */
export function textOf(size: number): string {
  return "héllo wörld ".repeat(Math.floor(size / 14)) + "x".repeat(size % 14);
}

/** `size` bytes of a pattern that repeats only every 256 × 256 bytes, so a moved or lost chunk shows. */
export function bytesOf(size: number): Buffer {
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + (i >> 8)) & 0xff;
  return out;
}

/** A 64-bit length header with no payload: the limit is checked before any payload is read. */
function announcing(opcode: number, length: bigint, fin = true): Buffer {
  const header = Buffer.alloc(14);
  header[0] = (fin ? 0x80 : 0) | opcode;
  header[1] = 0x80 | 127;
  header.writeBigUInt64BE(length, 2);
  header.writeUInt32BE(0x37fa213d, 10); // the mask key
  return header;
}

const open = (name: string, writes: Buffer[], replies: string[]): FrameCase => ({ name, writes, replies });
const closes = (name: string, writes: Buffer[], close: string, replies: string[] = []): FrameCase => ({ name, writes, replies, close });
const fails = (name: string, writes: Buffer[], code: number, reason: string, replies: string[] = []): FrameCase => ({
  name,
  writes,
  replies,
  close: `close:${code}:${reason}`,
  failure: true,
});

/** A message in fragments: the first frame of `opcode`, continuations after it, FIN on the last one only. */
function fragments(opcode: number, parts: (string | Uint8Array)[], last = true): Buffer {
  return Buffer.concat(parts.map((part, i) => clientFrame(i === 0 ? opcode : 0, part, { fin: last && i === parts.length - 1 })));
}

const SIZES = [0, 125, 126, 65_535, 65_536, 1 << 20];
const euro = Buffer.from("€"); // e2 82 ac
const emoji = Buffer.from("😀"); // f0 9f 98 80
const big = bytesOf(120_000);
const tooBig = `Message over the limit of ${DEFAULT_LIMIT} bytes`;
const notUtf8 = "Text message is not valid UTF-8";
const unexpectedContinuation = "Continuation frame without a message to continue";
const interleaved = "New data frame inside a fragmented message";
const rsv = "Reserved bits set without an extension";

/** Every case, in the order they run. */
export const FRAME_CASES: readonly FrameCase[] = [
  // §5.2 payload lengths: 7-bit, 16-bit and 64-bit length fields, each edge.
  ...SIZES.map((n) => open(`text of ${n} bytes echoes`, [clientFrame(TEXT, textOf(n))], [text(textOf(n))])),
  ...SIZES.map((n) => open(`binary of ${n} bytes echoes`, [clientFrame(BINARY, bytesOf(n))], [binary(bytesOf(n))])),
  open("a text starting with U+FEFF keeps it", [clientFrame(TEXT, "\uFEFFhi")], [text("\uFEFFhi")]),
  open(
    "50 messages in one write come back in order",
    [Buffer.concat(Array.from({ length: 50 }, (_, i) => clientFrame(TEXT, `m${i}`)))],
    Array.from({ length: 50 }, (_, i) => text(`m${i}`)),
  ),
  open("a message written one byte at a time", [...clientFrame(TEXT, "slowly, byte by byte")].map((b) => Buffer.of(b)), [text("slowly, byte by byte")]),

  // §5.4 fragmentation.
  open("fragmented text", [fragments(TEXT, ["frag", "men", "ted"])], [text("fragmented")]),
  open("fragmented binary, 3 × 40,000 bytes", [fragments(BINARY, [0, 1, 2].map((k) => big.subarray(k * 40_000, (k + 1) * 40_000)))], [binary(big)]),
  open("fragments in separate writes", [clientFrame(TEXT, "one ", { fin: false }), clientFrame(0, "two ", { fin: false }), clientFrame(0, "three")], [text("one two three")]),
  open("empty fragments around the content", [fragments(TEXT, ["", "x", ""])], [text("x")]),
  open("a UTF-8 character split across fragments", [fragments(TEXT, [Buffer.concat([Buffer.from("a"), euro.subarray(0, 2)]), Buffer.concat([euro.subarray(2), Buffer.from("b")])])], [text("a€b")]),
  open("a 4-byte character split over three fragments", [fragments(TEXT, [emoji.subarray(0, 1), emoji.subarray(1, 3), emoji.subarray(3)])], [text("😀")]),

  // §5.5.2-3 ping and pong.
  open("ping → pong with the same payload", [clientFrame(PING, "are you there")], [pong("are you there")]),
  open("empty ping → empty pong", [clientFrame(PING)], [pong("")]),
  open("125-byte binary ping → the same 125 bytes", [clientFrame(PING, bytesOf(125))], [pong(bytesOf(125))]),
  open(
    "a ping between fragments is answered first",
    [Buffer.concat([clientFrame(TEXT, "frag", { fin: false }), clientFrame(PING, "between"), clientFrame(0, "men", { fin: false }), clientFrame(0, "ted")])],
    [pong("between"), text("fragmented")],
  ),
  open("an unsolicited pong is ignored", [Buffer.concat([clientFrame(PONG, "x"), clientFrame(TEXT, "after")])], [text("after")]),

  // §5.5.1 closing handshake: the server echoes the client's code and reason, then ends the connection.
  closes("close with code and reason is echoed", [clientFrame(CLOSE, closeBody(1000, "bye"))], "close:1000:bye"),
  closes("close 4002 with a reason is echoed", [clientFrame(CLOSE, closeBody(4002, "raw bye"))], "close:4002:raw bye"),
  closes("close 3000 with a UTF-8 reason is echoed", [clientFrame(CLOSE, closeBody(3000, "adiós 😀"))], "close:3000:adiós 😀"),
  closes("close 1012 (registered since RFC 6455) is echoed", [clientFrame(CLOSE, closeBody(1012))], "close:1012:"),
  closes("close with a 123-byte reason (the most) is echoed", [clientFrame(CLOSE, closeBody(4999, "r".repeat(123)))], `close:4999:${"r".repeat(123)}`),
  // An empty body means 1005 (no status), which must never be sent: the echo is empty too.
  closes("close with an empty body is echoed empty", [clientFrame(CLOSE)], "close"),
  closes("messages before the close are answered first", [Buffer.concat([clientFrame(TEXT, "last"), clientFrame(CLOSE, closeBody(1000))])], "close:1000:", [text("last")]),
  closes(
    "nothing after the close is read",
    [Buffer.concat([clientFrame(CLOSE, closeBody(1001, "going")), clientFrame(TEXT, "after"), clientFrame(PING, "p")])],
    "close:1001:going",
  ),

  // §5.2, §5.4, §5.5: protocol violations fail the connection with 1002.
  fails("unmasked frame", [clientFrame(TEXT, "x", { mask: false })], 1002, "Unmasked client frame"),
  fails("unmasked ping", [clientFrame(PING, "x", { mask: false })], 1002, "Unmasked client frame"),
  fails("RSV1 without an extension", [clientFrame(TEXT, "x", { rsv: 4 })], 1002, rsv),
  fails("RSV2", [clientFrame(TEXT, "x", { rsv: 2 })], 1002, rsv),
  fails("RSV3", [clientFrame(BINARY, "x", { rsv: 1 })], 1002, rsv),
  ...[3, 7].map((op) => fails(`reserved data opcode ${op}`, [clientFrame(op, "x")], 1002, `Reserved opcode ${op}`)),
  ...[11, 15].map((op) => fails(`reserved control opcode ${op}`, [clientFrame(op, "x")], 1002, `Reserved opcode ${op}`)),
  fails("ping over 125 bytes", [clientFrame(PING, Buffer.alloc(126))], 1002, "Control frame payload over 125 bytes"),
  fails("close over 125 bytes", [clientFrame(CLOSE, closeBody(1000, "r".repeat(124)))], 1002, "Control frame payload over 125 bytes"),
  fails("fragmented ping", [clientFrame(PING, "x", { fin: false })], 1002, "Fragmented control frame"),
  fails("fragmented close", [clientFrame(CLOSE, closeBody(1000), { fin: false })], 1002, "Fragmented control frame"),
  fails("fragmented pong", [clientFrame(PONG, "x", { fin: false })], 1002, "Fragmented control frame"),
  fails("continuation without a start", [clientFrame(0, "x")], 1002, unexpectedContinuation),
  fails("continuation after a whole message", [Buffer.concat([clientFrame(TEXT, "whole"), clientFrame(0, "x")])], 1002, unexpectedContinuation, [text("whole")]),
  fails("text inside a fragmented text", [Buffer.concat([clientFrame(TEXT, "a", { fin: false }), clientFrame(TEXT, "b")])], 1002, interleaved),
  fails("binary inside a fragmented text", [Buffer.concat([clientFrame(TEXT, "a", { fin: false }), clientFrame(BINARY, "b")])], 1002, interleaved),
  ...[0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535].map((code) =>
    fails(`close code ${code}`, [clientFrame(CLOSE, closeBody(code))], 1002, `Close frame with invalid code ${code}`),
  ),
  fails("a 1-byte close body", [clientFrame(CLOSE, Buffer.of(3))], 1002, "Close frame with a 1-byte body"),
  fails("a 64-bit length with the high bit set", [announcing(BINARY, 1n << 63n)], 1002, "64-bit payload length with the high bit set"),

  // §8.1: text that is not UTF-8 fails with 1007.
  fails("a lone 0xff byte", [clientFrame(TEXT, Buffer.of(0xff))], 1007, notUtf8),
  fails("an overlong encoding", [clientFrame(TEXT, Buffer.of(0xc0, 0xaf))], 1007, notUtf8),
  fails("a UTF-16 surrogate", [clientFrame(TEXT, Buffer.of(0xce, 0xba, 0xed, 0xa0, 0x80))], 1007, notUtf8),
  fails("a code point past U+10FFFF", [clientFrame(TEXT, Buffer.of(0xf4, 0x90, 0x80, 0x80))], 1007, notUtf8),
  fails("a character cut at the end of the message", [clientFrame(TEXT, Buffer.concat([Buffer.from("a"), euro.subarray(0, 2)]))], 1007, notUtf8),
  fails("a character cut at the end of the last fragment", [fragments(TEXT, ["ok", euro.subarray(0, 1)])], 1007, notUtf8),
  // Checked per fragment: the bad first fragment fails before the message is complete.
  fails("bad bytes in the first fragment of an unfinished message", [clientFrame(TEXT, Buffer.of(0x61, 0xff), { fin: false })], 1007, notUtf8),
  fails("a close reason that is not UTF-8", [clientFrame(CLOSE, Buffer.concat([closeBody(1000), Buffer.of(0xff, 0xfe)]))], 1007, "Close reason is not valid UTF-8"),

  // The payload limit (64 MiB here) is checked at the frame header: no payload is sent.
  fails("a binary header announcing the limit + 1", [announcing(BINARY, BigInt(DEFAULT_LIMIT + 1))], 1009, tooBig),
  fails("a text header announcing 2^62 bytes", [announcing(TEXT, 1n << 62n)], 1009, tooBig),
  fails("a continuation that takes the message past the limit", [clientFrame(TEXT, "0123456789", { fin: false }), announcing(0, BigInt(DEFAULT_LIMIT - 5))], 1009, tooBig),

  // A message may come in at most 16,384 data frames (ws's bound); past it the connection fails with 1008.
  fails("a message in 16,385 fragments", [fragments(TEXT, Array<string>(16_385).fill(""), false)], 1008, "Message in more than 16384 fragments"),
];
