/**
 * A WebSocket handshake and frames over a bare TCP connection, for what Deno's `WebSocket` does
 * not show: the 101's `Sec-WebSocket-Extensions` and a frame's RSV1 bit.
 */

/** One frame from the server (servers never mask). */
export interface RawFrame {
  readonly rsv1: boolean;
  readonly opcode: number;
  readonly payload: Uint8Array;
}

export interface RawClient {
  /** The status line of the answer, such as `HTTP/1.1 101 Switching Protocols`. */
  readonly status: string;
  readonly headers: Headers;
  /** Sends a masked text message in one frame. */
  sendText(text: string): Promise<void>;
  /** The next whole frame from the server. */
  next(): Promise<RawFrame>;
  close(): void;
}

/** Opens `path` on 127.0.0.1:`port` offering `extensions`, and reads the answer's head. */
export async function openRaw(port: number, path: string, extensions: string): Promise<RawClient> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const request = [
    `GET ${path} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    "Upgrade: websocket",
    "Connection: Upgrade",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version: 13",
    `Sec-WebSocket-Extensions: ${extensions}`,
    "",
    "",
  ].join("\r\n");
  await write(conn, new TextEncoder().encode(request));

  let buffered = new Uint8Array(0);
  const read = async (): Promise<void> => {
    const chunk = new Uint8Array(65536);
    const n = await conn.read(chunk);
    if (n === null) throw new Error("the server ended the connection");
    const joined = new Uint8Array(buffered.length + n);
    joined.set(buffered);
    joined.set(chunk.subarray(0, n), buffered.length);
    buffered = joined;
  };
  const headEnd = (): number => new TextDecoder("latin1").decode(buffered).indexOf("\r\n\r\n");
  while (headEnd() < 0) await read();
  const end = headEnd();
  const [status = "", ...lines] = new TextDecoder("latin1").decode(buffered.subarray(0, end)).split("\r\n");
  buffered = buffered.subarray(end + 4);
  const headers = new Headers();
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }

  return {
    status,
    headers,
    sendText: (text) => write(conn, maskedText(new TextEncoder().encode(text))),
    async next() {
      for (;;) {
        const frame = readFrame(buffered);
        if (frame) {
          buffered = buffered.subarray(frame.size);
          return frame.frame;
        }
        await read();
      }
    },
    close: () => conn.close(),
  };
}

async function write(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length; ) at += await conn.write(bytes.subarray(at));
}

function readFrame(bytes: Uint8Array): { frame: RawFrame; size: number } | undefined {
  if (bytes.length < 2) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let length = bytes[1]! & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (bytes.length < 4) return undefined;
    length = view.getUint16(2);
    offset = 4;
  } else if (length === 127) {
    if (bytes.length < 10) return undefined;
    length = Number(view.getBigUint64(2));
    offset = 10;
  }
  if (bytes.length < offset + length) return undefined;
  const frame = { rsv1: (bytes[0]! & 0x40) !== 0, opcode: bytes[0]! & 0x0f, payload: bytes.slice(offset, offset + length) };
  return { frame, size: offset + length };
}

/** A final text frame, masked as a client must, for payloads under 64 KiB. */
function maskedText(payload: Uint8Array): Uint8Array {
  const small = payload.length < 126;
  const frame = new Uint8Array((small ? 2 : 4) + 4 + payload.length);
  frame[0] = 0x81;
  frame[1] = 0x80 | (small ? payload.length : 126);
  if (!small) new DataView(frame.buffer).setUint16(2, payload.length);
  const maskAt = small ? 2 : 4;
  const mask = [0x12, 0x34, 0x56, 0x78];
  frame.set(mask, maskAt);
  payload.forEach((byte, i) => (frame[maskAt + 4 + i] = byte ^ mask[i % 4]!));
  return frame;
}
