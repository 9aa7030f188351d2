/**
 * A raw-TCP WebSocket client for tests: it sends exact bytes (bad masks, bad UTF-8, huge
 * length headers) that no real client would, and decodes what the server sends back.
 */
import { connect, type Socket } from "node:net";

export interface ClientFrameOptions {
  fin?: boolean;
  rsv?: number;
  mask?: boolean;
  /** Announce this length instead of the payload's (for lying headers). */
  length?: number;
}

/** Encodes a client frame, masked unless `mask: false`. */
export function clientFrame(opcode: number, payload: Uint8Array | string = new Uint8Array(0), o: ClientFrameOptions = {}): Buffer {
  const body = typeof payload === "string" ? Buffer.from(payload) : Buffer.from(payload);
  const mask = o.mask ?? true;
  const length = o.length ?? body.length;
  const first = ((o.fin ?? true) ? 0x80 : 0) | ((o.rsv ?? 0) << 4) | opcode;
  let header: Buffer;
  if (length < 126) header = Buffer.from([first, length]);
  else if (length < 0x10000) {
    header = Buffer.alloc(4);
    header[0] = first;
    header[1] = 126;
    header.writeUInt16BE(length, 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = first;
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  if (!mask) return Buffer.concat([header, body]);
  header[1] = header[1]! | 0x80;
  const key = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);
  const masked = Buffer.from(body.map((b, i) => b ^ key[i & 3]!));
  return Buffer.concat([header, key, masked]);
}

export function closeBody(code: number, reason = ""): Buffer {
  const b = Buffer.alloc(2 + Buffer.byteLength(reason));
  b.writeUInt16BE(code, 0);
  b.write(reason, 2);
  return b;
}

export interface ServerFrame {
  fin: boolean;
  /** RSV1: a compressed message (permessage-deflate). */
  rsv1: boolean;
  opcode: number;
  payload: Buffer;
}

/** A connected raw client: what it received, parsed, and ways to wait for it. */
export class RawClient {
  readonly socket: Socket;
  received: Buffer = Buffer.alloc(0);
  ended = false;
  #handshakeDone = false;
  response = "";
  frames: ServerFrame[] = [];
  #waiters: (() => void)[] = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on("data", (d: Buffer) => {
      this.received = Buffer.concat([this.received, d]);
      this.#parse();
      this.#wake();
    });
    socket.on("close", () => {
      this.ended = true;
      this.#wake();
    });
    socket.on("error", () => {});
  }

  static open(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, "127.0.0.1", () => resolve(new RawClient(s)));
      s.once("error", reject);
    });
  }

  /** Connects and sends a handshake (headers may be replaced or removed with `null`). */
  static async handshake(port: number, path: string, headers: Record<string, string | null> = {}): Promise<RawClient> {
    const client = await RawClient.open(port);
    const all: Record<string, string | null> = {
      Host: `127.0.0.1:${port}`,
      Upgrade: "websocket",
      Connection: "Upgrade",
      "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
      "Sec-WebSocket-Version": "13",
      ...headers,
    };
    let text = `GET ${path} HTTP/1.1\r\n`;
    for (const [k, v] of Object.entries(all)) if (v !== null) text += `${k}: ${v}\r\n`;
    client.write(`${text}\r\n`);
    await client.until(() => client.response !== "" || client.ended);
    return client;
  }

  get status(): number {
    return Number(this.response.split(" ")[1]);
  }

  write(data: Uint8Array | string): void {
    this.socket.write(data);
  }

  /** The server's close frame, decoded, if one arrived. */
  get close(): { code: number; reason: string } | undefined {
    return closeOf(this.frames);
  }

  /** Waits until `check` holds (re-checked on every byte received), or fails after `ms`. */
  until(check: () => boolean, ms = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("timed out waiting on the raw client")), ms);
      const test = () => {
        if (check()) {
          clearTimeout(timer);
          resolve();
          return true;
        }
        return false;
      };
      if (test()) return;
      const waiter = () => {
        if (!test()) this.#waiters.push(waiter);
      };
      this.#waiters.push(waiter);
    });
  }

  /** Waits for the server's close frame and the end of the TCP connection. */
  async closed(): Promise<{ code: number; reason: string } | undefined> {
    await this.until(() => this.ended);
    return this.close;
  }

  destroy(): void {
    this.socket.destroy();
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  #parse(): void {
    if (!this.#handshakeDone) {
      const end = this.received.indexOf("\r\n\r\n");
      if (end < 0) return;
      this.response = this.received.subarray(0, end).toString("latin1");
      this.received = this.received.subarray(end + 4);
      this.#handshakeDone = true;
      if (!this.response.startsWith("HTTP/1.1 101")) return;
    }
    if (!this.response.startsWith("HTTP/1.1 101")) return;
    this.received = readServerFrames(this.received, this.frames);
  }
}

/** The first close frame among `frames`, decoded (`1005` for an empty body), if there is one. */
export function closeOf(frames: readonly ServerFrame[]): { code: number; reason: string } | undefined {
  const f = frames.find((x) => x.opcode === 8);
  if (!f) return undefined;
  if (f.payload.length === 0) return { code: 1005, reason: "" };
  return { code: f.payload.readUInt16BE(0), reason: f.payload.subarray(2).toString() };
}

/**
 * Moves every whole frame at the start of `bytes` into `into` and returns the bytes left (the
 * start of a frame still arriving). Server frames are unmasked; nothing is validated, so a test
 * sees exactly what the server sent. Shared by the HTTP/1.1 and the HTTP/2 test clients.
 */
export function readServerFrames(bytes: Buffer, into: ServerFrame[]): Buffer {
  let b = bytes;
  for (;;) {
    if (b.length < 2) return b;
    let length = b[1]! & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (b.length < 4) return b;
      length = b.readUInt16BE(2);
      offset = 4;
    } else if (length === 127) {
      if (b.length < 10) return b;
      length = Number(b.readBigUInt64BE(2));
      offset = 10;
    }
    if (b.length < offset + length) return b;
    into.push({ fin: (b[0]! & 0x80) !== 0, rsv1: (b[0]! & 0x40) !== 0, opcode: b[0]! & 0x0f, payload: b.subarray(offset, offset + length) });
    b = b.subarray(offset + length);
  }
}
