/** What a permessage-deflate client does with node:zlib, for tests that play the client. */
import { constants, createDeflateRaw, deflateRawSync, inflateRawSync } from "node:zlib";

const TAIL = Buffer.from([0, 0, 0xff, 0xff]);

/** A compressed payload as a client sends it: deflate-raw, sync flush, tail removed. */
export function compress(data: Uint8Array | string): Buffer {
  const out = deflateRawSync(typeof data === "string" ? Buffer.from(data) : data, { finishFlush: constants.Z_SYNC_FLUSH });
  return out.subarray(0, out.length - 4);
}

/** One compressed message's payload, inflated on its own. */
export function inflate(payload: Buffer): Buffer {
  return inflateRawSync(Buffer.concat([payload, TAIL]), { finishFlush: constants.Z_SYNC_FLUSH });
}

/** Compressed messages of one connection, in order, inflated as the one stream they are (context kept). */
export function inflateStream(payloads: Buffer[]): Buffer {
  return inflate(Buffer.concat(payloads.flatMap((p, i) => (i === payloads.length - 1 ? [p] : [p, TAIL]))));
}

/** `mib` MiB of zeros as one compressed message (about 1 KB per MiB), made without holding it whole. */
export async function bomb(mib: number): Promise<Buffer> {
  const deflater = createDeflateRaw();
  const parts: Buffer[] = [];
  deflater.on("data", (c: Buffer) => parts.push(c));
  const zeros = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < mib; i++) deflater.write(zeros);
  await new Promise<void>((resolve) => deflater.flush(constants.Z_SYNC_FLUSH, () => resolve()));
  deflater.close();
  const all = Buffer.concat(parts);
  return all.subarray(0, all.length - 4);
}
