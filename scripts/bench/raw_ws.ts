/**
 * The bench's load client: raw TCP WebSocket connections that count whole frames as they
 * arrive without decoding them, so the client costs little next to the server it measures.
 */
import { Buffer } from "node:buffer";
import { connect, type Socket } from "node:net";

/**
 * A masked client frame (fixed mask: the server unmasks it all the same, the client pays nothing).
 * `compressed` sets RSV1: the payload is already deflated (permessage-deflate).
 */
export function frame(opcode: number, payload: Uint8Array, compressed = false): Buffer {
  const mask = [0x12, 0x34, 0x56, 0x78];
  const n = payload.length;
  const head = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const out = Buffer.alloc(head + 4 + n);
  out[0] = 0x80 | (compressed ? 0x40 : 0) | opcode;
  if (n < 126) out[1] = 0x80 | n;
  else if (n < 65536) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(n, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeBigUInt64BE(BigInt(n), 2);
  }
  out.set(mask, head);
  for (let i = 0; i < n; i++) out[head + 4 + i] = payload[i]! ^ mask[i & 3]!;
  return out;
}

/** One client connection: counts whole frames from the server as they complete. */
export class Client {
  readonly socket: Socket;
  frames = 0;
  bytes = 0;
  /** Frames with RSV1 set: proof that the server really compressed what it sent. */
  compressed = 0;
  /** The server's Sec-WebSocket-Extensions answer ("" if none). */
  extensions = "";
  onFrame: (() => void) | undefined;
  #pending = 0; // payload bytes still to skip in the current frame
  #header: Buffer | undefined; // a partial frame header
  #handshake = true;

  private constructor(socket: Socket) {
    this.socket = socket;
  }

  /** `headers`: extra handshake lines, each ending in CRLF (an extension offer, say). */
  static open(port: number, path: string, headers = ""): Promise<Client> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, "127.0.0.1");
      const client = new Client(socket);
      socket.setNoDelay(true);
      socket.once("error", reject);
      socket.once("connect", () =>
        socket.write(
          `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${headers}\r\n`,
        ),
      );
      let head = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        if (client.#handshake) {
          head = Buffer.concat([head, chunk]);
          const end = head.indexOf("\r\n\r\n");
          if (end < 0) return;
          if (!head.subarray(0, 12).toString().includes("101")) return reject(new Error(head.toString()));
          client.#handshake = false;
          client.extensions = /^sec-websocket-extensions: *(.*)$/im.exec(head.subarray(0, end).toString())?.[1]?.trim() ?? "";
          resolve(client);
          chunk = head.subarray(end + 4);
        }
        client.#consume(chunk);
      };
      socket.on("data", onData);
    });
  }

  #consume(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.#pending > 0) {
        const take = Math.min(this.#pending, chunk.length - i);
        this.#pending -= take;
        i += take;
        if (this.#pending === 0) this.#done();
        continue;
      }
      const rest = chunk.subarray(i);
      const buf = this.#header ? Buffer.concat([this.#header, rest]) : rest;
      if (buf.length < 2) {
        this.#header = Buffer.from(buf);
        return;
      }
      let n = buf[1]! & 0x7f;
      let h = 2;
      if (n === 126) h = 4;
      else if (n === 127) h = 10;
      if (buf.length < h) {
        this.#header = Buffer.from(buf);
        return;
      }
      if ((buf[0]! & 0x40) !== 0) this.compressed++;
      if (h === 4) n = buf.readUInt16BE(2);
      else if (h === 10) n = Number(buf.readBigUInt64BE(2));
      const used = h - (this.#header?.length ?? 0);
      this.#header = undefined;
      i += used;
      this.bytes += n;
      this.#pending = n;
      if (n === 0) this.#done();
    }
  }

  #done(): void {
    this.frames++;
    this.onFrame?.();
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Opens `n` connections to `path`, `batch` at a time (so the server's accept queue is not
 * flooded); connection i goes to `ports[i % ports.length]`.
 */
export async function openMany(ports: number[], path: string, n: number, batch = 100, headers = ""): Promise<Client[]> {
  const all: Client[] = [];
  for (let i = 0; i < n; i += batch) {
    const opening = Array.from({ length: Math.min(batch, n - i) }, (_, j) => Client.open(ports[(i + j) % ports.length]!, path, headers));
    all.push(...(await Promise.all(opening)));
  }
  return all;
}
