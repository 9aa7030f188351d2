/**
 * A bare RFC 6455 echo server written straight on node:net, with no library under it: the floor
 * Rookery on Node is measured against (`npm run bench -- --scenario bare`). Lean, but correct
 * enough to be a fair baseline (test/node/bare_echo.test.ts runs RFC 6455 cases against it):
 *
 * - handshake: GET, `Upgrade: websocket`, a `Connection` with the `upgrade` token, version 13,
 *   a 24-character base64 key, on `/echo` (400, 404 or 426 otherwise, then the socket ends);
 *   `Sec-WebSocket-Accept` from node:crypto.
 * - frames: masking required (1002), reserved bits and opcodes refused (1002), control frames
 *   final and at most 125 bytes (1002), fragments reassembled (control frames between them are
 *   answered at once), messages over 64 MiB refused at the header (1009), text checked as UTF-8
 *   (1007), close codes checked (RFC 6455 §7.4, 1002) and the close echoed with its code and
 *   reason, ping answered with pong.
 * - the string round trip Rookery's API implies: a text message is decoded to a string, handed to
 *   the handler, and the string it sends back is encoded again.
 *
 * Per message: the payload is unmasked in place in the chunk the socket read (a word at a time
 * past 64 bytes), a frame that spans reads is filled into one buffer of its size (one copy),
 * and the replies to one read leave in one write: copied into one buffer up to 16 KiB in all,
 * past that handed to the socket corked, which writes them with one `writev` (binary payloads
 * uncopied). Reading pauses while the socket's buffer is over its high-water mark.
 */
import "./gc_hook.ts";
import { Buffer, isUtf8 } from "node:buffer";
import { createHash } from "node:crypto";
import { createServer, type Socket } from "node:net";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/** Largest message, as Rookery's default `maxPayload`. */
const MAX_PAYLOAD = 64 * 1024 * 1024;
/** Largest request head (node:http's default). */
const MAX_HEAD = 16 * 1024;
/** Replies to one read up to this many bytes in all are copied into one buffer; past it, writev. */
const GATHER = 16 * 1024;
/** Payloads from this many bytes are unmasked 32 bits at a time. */
const WORDWISE = 64;
/** How long a closing connection waits for the peer to end TCP before it is dropped. */
const CLOSE_TIMEOUT = 5000;
const KEY = /^[A-Za-z0-9+/]{22}==$/;

const TEXT = 1;
const BINARY = 2;
const CLOSE = 8;
const PING = 9;
const PONG = 10;

// The mask rotated to a word boundary, read back as one native-endian 32-bit word.
const maskBytes = new Uint8Array(4);
const maskWord = new Uint32Array(maskBytes.buffer);

/** XORs `buf[start, end)` in place with the 4-byte mask at `mask[at]` (§5.3). */
function unmask(buf: Buffer, start: number, end: number, mask: Uint8Array, at: number): void {
  const m0 = mask[at]!;
  const m1 = mask[at + 1]!;
  const m2 = mask[at + 2]!;
  const m3 = mask[at + 3]!;
  let i = start;
  if (end - start >= WORDWISE) {
    // Bytes up to a 4-byte boundary of the underlying memory, then whole words.
    const lead = (4 - ((buf.byteOffset + start) & 3)) & 3;
    for (let k = 0; k < lead; k++) buf[i + k] = buf[i + k]! ^ mask[at + k]!;
    i += lead;
    maskBytes[0] = mask[at + (lead & 3)]!;
    maskBytes[1] = mask[at + ((lead + 1) & 3)]!;
    maskBytes[2] = mask[at + ((lead + 2) & 3)]!;
    maskBytes[3] = mask[at + ((lead + 3) & 3)]!;
    const w = maskWord[0]!;
    const n = (end - i) >>> 2;
    const words = new Uint32Array(buf.buffer, buf.byteOffset + i, n);
    for (let k = 0; k < n; k++) words[k] = words[k]! ^ w;
    i += n * 4;
  } else {
    for (; i + 4 <= end; i += 4) {
      buf[i] = buf[i]! ^ m0;
      buf[i + 1] = buf[i + 1]! ^ m1;
      buf[i + 2] = buf[i + 2]! ^ m2;
      buf[i + 3] = buf[i + 3]! ^ m3;
    }
  }
  for (; i < end; i++) buf[i] = buf[i]! ^ mask[at + ((i - start) & 3)]!;
}

const headerSize = (n: number) => (n < 126 ? 2 : n < 65536 ? 4 : 10);

/** Writes a final, unmasked frame header at `buf[o]`; returns the offset after it. */
function putHeader(buf: Buffer, o: number, opcode: number, n: number): number {
  buf[o] = 0x80 | opcode;
  if (n < 126) {
    buf[o + 1] = n;
    return o + 2;
  }
  if (n < 65536) {
    buf[o + 1] = 126;
    buf[o + 2] = n >>> 8;
    buf[o + 3] = n & 0xff;
    return o + 4;
  }
  buf[o + 1] = 127;
  buf.writeUInt32BE(Math.floor(n / 0x100000000), o + 2);
  buf.writeUInt32BE(n >>> 0, o + 6);
  return o + 10;
}

/** Close codes a peer may send (RFC 6455 §7.4.1 and the IANA registry). */
const validCloseCode = (code: number) => (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);

/** Whether a comma-separated header value holds `token`, case-insensitively. */
function hasToken(value: string | undefined, token: string): boolean {
  if (value === undefined) return false;
  for (const part of value.split(",")) if (part.trim().toLowerCase() === token) return true;
  return false;
}

function resumeReading(this: Socket): void {
  this.resume();
}

function destroy(this: Socket): void {
  this.destroy();
}

class Connection {
  readonly socket: Socket;
  #handshaking = true;
  #stopped = false;
  /** The request head so far, or the start of a frame header that a read cut short. */
  #rest: Buffer | undefined;
  // A frame whose payload spans reads: filled into one buffer of its size.
  #partial: Buffer | undefined;
  #filled = 0;
  #partialOpcode = 0;
  #partialFin = false;
  readonly #mask = Buffer.alloc(4);
  // The fragmented message under way (opcode 0: none).
  #fragOpcode = 0;
  #frags: Buffer[] = [];
  #fragBytes = 0;
  // The replies to the current read: opcode, payload and its byte length, side by side.
  readonly #ops: number[] = [];
  readonly #payloads: (string | Buffer)[] = [];
  readonly #lengths: number[] = [];
  #outBytes = 0;

  constructor(socket: Socket) {
    this.socket = socket;
    socket.on("data", (chunk: Buffer) => this.#data(chunk));
    socket.on("error", () => {});
  }

  /** What the app's handler does with a message: send it back. */
  #onMessage(message: string | Buffer): void {
    this.send(message);
  }

  send(message: string | Buffer): void {
    if (typeof message === "string") this.#reply(TEXT, message, Buffer.byteLength(message));
    else this.#reply(BINARY, message, message.byteLength);
  }

  #reply(opcode: number, payload: string | Buffer, n: number): void {
    this.#ops.push(opcode);
    this.#payloads.push(payload);
    this.#lengths.push(n);
    this.#outBytes += headerSize(n) + n;
  }

  #data(chunk: Buffer): void {
    if (this.#stopped) return;
    if (this.#handshaking) {
      this.socket.cork();
      this.#handshake(chunk);
      this.#flush();
      this.socket.uncork();
      if (this.#stopped) this.socket.end();
      return;
    }
    this.#frames(chunk);
    this.#flush();
    if (this.#stopped) this.socket.end();
  }

  /** Sends the replies to this read in one write. */
  #flush(): void {
    const count = this.#ops.length;
    if (count === 0) return;
    const socket = this.socket;
    const ops = this.#ops;
    const payloads = this.#payloads;
    const lengths = this.#lengths;
    let ok: boolean;
    if (this.#outBytes <= GATHER) {
      const out = Buffer.allocUnsafe(this.#outBytes);
      let o = 0;
      for (let k = 0; k < count; k++) {
        const n = lengths[k]!;
        o = putHeader(out, o, ops[k]!, n);
        const p = payloads[k]!;
        if (typeof p === "string") out.write(p, o);
        else out.set(p, o);
        o += n;
      }
      ok = socket.write(out);
    } else {
      // Corked, the writes below leave as one writev when uncorked.
      socket.cork();
      for (let k = 0; k < count; k++) {
        const n = lengths[k]!;
        const head = Buffer.allocUnsafe(headerSize(n));
        putHeader(head, 0, ops[k]!, n);
        socket.write(head);
        if (n > 0) socket.write(payloads[k]!);
      }
      socket.uncork();
      ok = !socket.writableNeedDrain;
    }
    ops.length = 0;
    payloads.length = 0;
    lengths.length = 0;
    this.#outBytes = 0;
    if (!ok && !this.#stopped) {
      socket.pause();
      socket.once("drain", resumeReading);
    }
  }

  /**
   * Stops reading frames: the replies so far (a close frame last) go out, then TCP ends. Reading
   * goes on, discarding, so the peer's end is seen; a peer that never ends is dropped.
   */
  #stop(): void {
    this.#stopped = true;
    this.#rest = undefined;
    this.#partial = undefined;
    this.#frags = [];
    this.socket.resume();
    this.socket.setTimeout(CLOSE_TIMEOUT, destroy);
  }

  /** Fails the connection with a close frame carrying `code`. */
  #fail(code: number): void {
    const body = Buffer.allocUnsafe(2);
    body.writeUInt16BE(code, 0);
    this.#reply(CLOSE, body, 2);
    this.#stop();
  }

  #refuse(status: number, reason: string, extra = ""): void {
    const body = `${reason}\n`;
    this.socket.write(
      `HTTP/1.1 ${status} ${reason}\r\ncontent-type: text/plain\r\ncontent-length: ${body.length}\r\nconnection: close\r\n${extra}\r\n${body}`,
      "latin1",
    );
    this.#stop();
  }

  #handshake(chunk: Buffer): void {
    const head = this.#rest ? Buffer.concat([this.#rest, chunk]) : chunk;
    const end = head.indexOf("\r\n\r\n");
    if (end < 0 || end > MAX_HEAD) {
      if (end > MAX_HEAD || head.length > MAX_HEAD + 4) return this.#refuse(431, "Request Header Fields Too Large");
      this.#rest = head;
      return;
    }
    this.#rest = undefined;
    const lines = head.toString("latin1", 0, end).split("\r\n");
    const request = lines[0]!.split(" ");
    if (request.length !== 3 || !request[2]!.startsWith("HTTP/1.")) return this.#refuse(400, "Bad Request");
    const headers: Record<string, string> = {};
    for (let k = 1; k < lines.length; k++) {
      const line = lines[k]!;
      const colon = line.indexOf(":");
      if (colon <= 0) return this.#refuse(400, "Bad Request");
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    // The same checks in the same order as Rookery (src/protocol/handshake.ts), after routing.
    const [method, target] = request as [string, string, string];
    if (headers.host === undefined && request[2] !== "HTTP/1.0") return this.#refuse(400, "Bad Request");
    const query = target.indexOf("?");
    if ((query < 0 ? target : target.slice(0, query)) !== "/echo") return this.#refuse(404, "Not Found");
    if (!hasToken(headers.upgrade, "websocket")) return this.#refuse(426, "Upgrade Required", "upgrade: websocket\r\n");
    if (method !== "GET") return this.#refuse(400, "Bad Request");
    if (!hasToken(headers.connection, "upgrade")) return this.#refuse(400, "Bad Request");
    if (headers["sec-websocket-version"] !== "13") return this.#refuse(426, "Upgrade Required", "sec-websocket-version: 13\r\n");
    const key = headers["sec-websocket-key"];
    if (key === undefined || !KEY.test(key)) return this.#refuse(400, "Bad Request");
    const accept = createHash("sha1").update(key + GUID).digest("base64");
    this.socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: ${accept}\r\n\r\n`,
      "latin1",
    );
    this.#handshaking = false;
    // Frames sent right behind the request.
    if (head.length > end + 4) this.#frames(head.subarray(end + 4));
  }

  /** Reads the frames in `chunk` (which this connection now owns: payloads are unmasked in it). */
  #frames(chunk: Buffer): void {
    let buf = chunk;
    let i = 0;
    const partial = this.#partial;
    if (partial) {
      const take = Math.min(partial.length - this.#filled, chunk.length);
      chunk.copy(partial, this.#filled, 0, take);
      this.#filled += take;
      i = take;
      if (this.#filled < partial.length) return;
      this.#partial = undefined;
      unmask(partial, 0, partial.length, this.#mask, 0);
      if (!this.#frame(this.#partialOpcode, this.#partialFin, partial)) return;
    } else if (this.#rest) {
      buf = Buffer.concat([this.#rest, chunk]);
      this.#rest = undefined;
    }
    const size = buf.length;
    while (i < size) {
      if (size - i < 2) break;
      const b0 = buf[i]!;
      const b1 = buf[i + 1]!;
      const fin = (b0 & 0x80) !== 0;
      const opcode = b0 & 0x0f;
      let n = b1 & 0x7f;
      // §5.2: no extension, so no reserved bit; §5.1: client frames are masked.
      if ((b0 & 0x70) !== 0 || (b1 & 0x80) === 0) return this.#fail(1002);
      if (opcode >= CLOSE) {
        if (opcode > PONG || !fin || n > 125) return this.#fail(1002);
      } else if (opcode === 0) {
        if (this.#fragOpcode === 0) return this.#fail(1002);
      } else if (opcode > BINARY || this.#fragOpcode !== 0) {
        return this.#fail(1002);
      }
      let h = 2;
      if (n === 126) {
        if (size - i < 4) break;
        n = (buf[i + 2]! << 8) | buf[i + 3]!;
        h = 4;
      } else if (n === 127) {
        if (size - i < 10) break;
        const high = buf.readUInt32BE(i + 2);
        if (high & 0x80000000) return this.#fail(1002);
        n = high * 0x100000000 + buf.readUInt32BE(i + 6);
        h = 10;
      }
      if (opcode < CLOSE && this.#fragBytes + n > MAX_PAYLOAD) return this.#fail(1009);
      if (size - i < h + 4) break;
      const start = i + h + 4;
      if (size - start < n) {
        // The payload goes on in later reads: one buffer of its size, filled as they come.
        const p = Buffer.allocUnsafe(n);
        buf.copy(p, 0, start, size);
        this.#partial = p;
        this.#filled = size - start;
        this.#partialOpcode = opcode;
        this.#partialFin = fin;
        buf.copy(this.#mask, 0, i + h, start);
        return;
      }
      unmask(buf, start, start + n, buf, i + h);
      i = start + n;
      if (!this.#frame(opcode, fin, buf.subarray(start, i))) return;
    }
    if (i < size) this.#rest = buf.subarray(i);
  }

  /** One whole frame, unmasked; false when the connection stopped reading. */
  #frame(opcode: number, fin: boolean, payload: Buffer): boolean {
    if (opcode === TEXT || opcode === BINARY) {
      if (fin) return this.#message(opcode, payload);
      this.#fragOpcode = opcode;
      this.#frags.push(payload);
      this.#fragBytes = payload.length;
      return true;
    }
    if (opcode === 0) {
      this.#frags.push(payload);
      this.#fragBytes += payload.length;
      if (!fin) return true;
      const whole = Buffer.concat(this.#frags, this.#fragBytes);
      const kind = this.#fragOpcode;
      this.#fragOpcode = 0;
      this.#frags = [];
      this.#fragBytes = 0;
      return this.#message(kind, whole);
    }
    if (opcode === PING) {
      this.#reply(PONG, payload, payload.length);
      return true;
    }
    if (opcode === PONG) return true;
    // Close: §5.5.1 body, §7.4 code, §8.1 UTF-8 reason; echoed as it came.
    if (payload.length === 1) this.#fail(1002);
    else if (payload.length >= 2 && !validCloseCode(payload.readUInt16BE(0))) this.#fail(1002);
    else if (payload.length > 2 && !isUtf8(payload.subarray(2))) this.#fail(1007);
    else {
      this.#reply(CLOSE, payload, payload.length);
      this.#stop();
    }
    return false;
  }

  #message(opcode: number, payload: Buffer): boolean {
    if (opcode === BINARY) {
      this.#onMessage(payload);
      return true;
    }
    if (!isUtf8(payload)) {
      this.#fail(1007);
      return false;
    }
    this.#onMessage(payload.toString("utf8"));
    return true;
  }
}

const server = createServer({ noDelay: true }, (socket) => void new Connection(socket));
server.listen(0, "127.0.0.1", () => console.log(`PORT ${(server.address() as { port: number }).port}`));
