/**
 * A flooding client: frames written as fast as the socket takes them. By default numbered 1 KiB
 * binary frames: each payload starts with its 32-bit big-endian sequence number (the fixture's
 * `/hold` and `/slow` routes check the order); any other stream through a `Batches` function.
 */
import type { RawClient } from "./raw_client.ts";

const PAYLOAD = 1024;
const FRAME = 2 + 2 + 4 + PAYLOAD; // header, 16-bit length, mask key, payload
const PER_WRITE = 256;

export interface FloodOptions {
  /** Stop once this many bytes were written. */
  maxBytes: number;
  /** Stop after this many milliseconds. */
  ms: number;
  /** Stop when the socket took nothing for this long (TCP pushes back). */
  stallMs: number;
}

export interface FloodResult {
  /** Bytes handed to the socket. */
  offered: number;
  /** Frames handed to the socket. */
  frames: number;
  /** The socket stopped taking bytes for `stallMs`. */
  stalled: boolean;
}

/** The bytes of the `n`-th write and how many frames they hold. */
export type Batches = (n: number) => { bytes: Buffer; frames: number };

/** Frames `first`..`first + count - 1`, masked with a zero key (payload bytes as written). */
function numbered(first: number, count: number): Buffer {
  const out = Buffer.alloc(FRAME * count);
  for (let i = 0; i < count; i++) {
    const at = i * FRAME;
    out[at] = 0x82;
    out[at + 1] = 0x80 | 126;
    out.writeUInt16BE(PAYLOAD, at + 2);
    out.writeUInt32BE(first + i, at + 8);
  }
  return out;
}

const numberedBatches: Batches = (n) => ({ bytes: numbered(n * PER_WRITE, PER_WRITE), frames: PER_WRITE });

/** Floods until a bound in `options` is reached or the server sends its close frame. */
export async function flood(client: RawClient, options: FloodOptions, batches: Batches = numberedBatches): Promise<FloodResult> {
  const deadline = Date.now() + options.ms;
  const socket = client.socket;
  let frames = 0;
  let offered = 0;
  let stalled = false;
  const over = () => client.close !== undefined || client.ended || socket.destroyed || Date.now() >= deadline || offered >= options.maxBytes;
  for (let n = 0; !over(); n++) {
    const batch = batches(n);
    const ok = socket.write(batch.bytes);
    frames += batch.frames;
    offered += batch.bytes.byteLength;
    if (ok) {
      // Let the server's answers (a close frame) in now and then.
      if (n % 16 === 15) await new Promise((r) => setImmediate(r));
      continue;
    }
    const drained = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => finish(false), options.stallMs);
      const finish = (value: boolean) => {
        clearTimeout(timer);
        socket.off("drain", onDrain);
        socket.off("close", onDrain);
        resolve(value);
      };
      const onDrain = () => finish(true);
      socket.on("drain", onDrain);
      socket.on("close", onDrain);
    });
    if (!drained) {
      stalled = true;
      break;
    }
  }
  return { offered, frames, stalled };
}
