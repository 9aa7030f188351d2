/**
 * A WebSocket client over a bare TCP socket, for the Bun suite's tests of what a web-standard
 * `WebSocket` cannot show or do: the 101's headers, a frame's RSV1 bit, frames that break the
 * protocol, bytes before the 101, a client that stops reading.
 */
import { connect } from "node:net";
import type { Socket } from "node:net";
import { constants, deflateRawSync, inflateRawSync } from "node:zlib";

/** One frame from the server (servers never mask). */
export interface RawFrame {
  readonly fin: boolean;
  /** Set on the first frame of a compressed message (RFC 7692). */
  readonly rsv1: boolean;
  readonly opcode: number;
  readonly payload: Buffer;
}

export interface RawClient {
  /** The status line of the server's answer, such as `HTTP/1.1 101 Switching Protocols`. */
  readonly status: string;
  /** The answer's headers, names lower-cased. */
  readonly headers: ReadonlyMap<string, string>;
  /** The next frame from the server; rejects after 3 s without one. */
  next(): Promise<RawFrame>;
  /** Sends a masked text (opcode 1) or binary (2) message in one frame, compressed if asked. */
  send(opcode: 1 | 2, data: string | Uint8Array, compress?: boolean): void;
  /** Sends one masked frame as given, valid or not: `rsv1` set without compressing, `fin` false for a fragment. */
  sendFrame(opcode: number, payload: Uint8Array, options?: { fin?: boolean; rsv1?: boolean }): void;
  /** Stops reading the socket, so what the server sends backs up in its buffers. */
  pause(): void;
  /** Settles once the connection has ended. */
  readonly ended: Promise<void>;
  /**
   * Inflates the payload of a compressed message, in the order they arrived, as a client does:
   * with the window of the earlier ones.
   */
  inflate(payload: Buffer): Buffer;
  end(): void;
}

/** The empty stored block a sync flush ends with; permessage-deflate leaves it off the wire. */
const SYNC_TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/**
 * Opens `path` on 127.0.0.1:`port`, offering `extensions` (none for `null`), and reads the answer.
 * `early` is written in the same write as the request, before any answer (as a client that does
 * not wait for the 101 would).
 */
export async function openRaw(port: number, path: string, extensions: string | null, early?: Uint8Array): Promise<RawClient> {
  const socket: Socket = connect(port, "127.0.0.1");
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  const ended = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  const request = [
    `GET ${path} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    "Upgrade: websocket",
    "Connection: Upgrade",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version: 13",
    ...(extensions === null ? [] : [`Sec-WebSocket-Extensions: ${extensions}`]),
    "",
    "",
  ].join("\r\n");
  socket.write(Buffer.concat([Buffer.from(request, "latin1"), early ?? new Uint8Array(0)]));

  let buffered = Buffer.alloc(0);
  let head: string | undefined;
  const frames: RawFrame[] = [];
  let wake: () => void = () => {};
  socket.on("data", (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    if (head === undefined) {
      const end = buffered.indexOf("\r\n\r\n");
      if (end < 0) return;
      head = buffered.subarray(0, end).toString("latin1");
      buffered = buffered.subarray(end + 4);
    }
    for (let frame = readFrame(buffered); frame; frame = readFrame(buffered)) {
      frames.push(frame.frame);
      buffered = buffered.subarray(frame.size);
    }
    wake();
  });
  socket.on("close", () => wake());
  socket.on("error", () => {});

  const waitFor = async (ready: () => boolean, what: string): Promise<void> => {
    const deadline = Date.now() + 3000;
    while (!ready()) {
      if (socket.destroyed || Date.now() > deadline) throw new Error(`no ${what} from the server`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 50);
      });
    }
  };
  await waitFor(() => head !== undefined, "answer to the handshake");
  const [status = "", ...lines] = head!.split("\r\n");
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }

  // A client keeps its inflate window from message to message (unless it agreed otherwise):
  // inflating everything received so far as one stream gives each message its context.
  let compressed = Buffer.alloc(0);
  let inflatedBefore = 0;
  return {
    status,
    headers,
    async next() {
      await waitFor(() => frames.length > 0, "frame");
      return frames.shift()!;
    },
    send(opcode, data, compress = false) {
      let payload = typeof data === "string" ? Buffer.from(data, "utf8") : Buffer.from(data);
      if (compress) {
        const deflated = deflateRawSync(payload, { finishFlush: constants.Z_SYNC_FLUSH });
        payload = deflated.subarray(0, deflated.length - SYNC_TAIL.length);
      }
      socket.write(maskedFrame(opcode, payload, compress));
    },
    sendFrame(opcode, payload, { fin = true, rsv1 = false } = {}) {
      socket.write(maskedFrame(opcode, Buffer.from(payload), rsv1, fin));
    },
    pause() {
      socket.pause();
    },
    ended,
    inflate(payload) {
      compressed = Buffer.concat([compressed, payload, SYNC_TAIL]);
      const all = inflateRawSync(compressed, { finishFlush: constants.Z_SYNC_FLUSH });
      const message = all.subarray(inflatedBefore);
      inflatedBefore = all.length;
      return message;
    },
    end() {
      socket.destroy();
    },
  };
}

/** The first whole frame of `bytes` and its size on the wire, if it is all there. */
function readFrame(bytes: Buffer): { frame: RawFrame; size: number } | undefined {
  if (bytes.length < 2) return undefined;
  let length = bytes[1]! & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (bytes.length < 4) return undefined;
    length = bytes.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (bytes.length < 10) return undefined;
    length = Number(bytes.readBigUInt64BE(2));
    offset = 10;
  }
  if (bytes.length < offset + length) return undefined;
  const first = bytes[0]!;
  const frame = { fin: (first & 0x80) !== 0, rsv1: (first & 0x40) !== 0, opcode: first & 0x0f, payload: Buffer.from(bytes.subarray(offset, offset + length)) };
  return { frame, size: offset + length };
}

/** One masked client frame carrying `payload` (text as UTF-8), to write as is. */
export function clientFrame(opcode: number, payload: string | Uint8Array): Buffer {
  return maskedFrame(opcode, Buffer.from(payload), false);
}

function maskedFrame(opcode: number, payload: Buffer, rsv1: boolean, fin = true): Buffer {
  const length = payload.length;
  const header = Buffer.alloc(length < 126 ? 2 : length < 65536 ? 4 : 10);
  header[0] = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode;
  if (length < 126) header[1] = 0x80 | length;
  else if (length < 65536) {
    header[1] = 0x80 | 126;
    header.writeUInt16BE(length, 2);
  } else {
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  const mask = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const masked = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]!));
  return Buffer.concat([header, mask, masked]);
}

/** The parameters of a `Sec-WebSocket-Extensions` answer, sorted, so answers compare whatever their order. */
export function extensionParams(answer: string | undefined): string[] | undefined {
  if (answer === undefined) return undefined;
  const [name, ...params] = answer.split(";").map((part) => part.trim());
  return [name ?? "", ...params.sort()];
}
