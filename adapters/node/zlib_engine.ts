/**
 * permessage-deflate's zlib contexts for one connection, over node:zlib (on Node and on Deno's
 * Node compatibility). Each context is made on first use and kept while the peer and the
 * negotiated parameters allow context takeover; `close` frees both.
 */
import { constants, createDeflateRaw, createInflateRaw, type DeflateRaw, type InflateRaw } from "node:zlib";
import type { NegotiatedDeflate } from "../../src/protocol/deflate_params.ts";
import type { DeflateEngine, InflateResult } from "../../src/protocol/permessage_deflate.ts";
import { DEFLATE_TAIL } from "../../src/protocol/permessage_deflate.ts";
import { concat } from "../../src/protocol/bytes.ts";

/** Inflates with the largest window: always safe whatever window the client compressed with. */
const INFLATE_WINDOW_BITS = 15;

export function zlibEngine(params: NegotiatedDeflate): DeflateEngine {
  let inflater: InflateRaw | undefined;
  let deflater: DeflateRaw | undefined;
  let closed = false;

  const newInflater = (): InflateRaw => {
    const z = createInflateRaw({ windowBits: INFLATE_WINDOW_BITS });
    // Errors are reported through the flush callback's caller; an unhandled one would crash.
    z.on("error", () => {});
    return z;
  };
  const newDeflater = (): DeflateRaw => {
    const z = createDeflateRaw({ windowBits: params.serverMaxWindowBits, level: params.level, memLevel: params.memLevel });
    z.on("error", () => {});
    return z;
  };

  return {
    inflate(data, maxBytes, done) {
      if (closed) return done(new Error("connection closed"));
      const z = (inflater ??= newInflater());
      const chunks: Uint8Array[] = [];
      let total = 0;
      let settled = false;
      const finish = (result: InflateResult) => {
        if (settled) return;
        settled = true;
        z.off("data", onData);
        z.off("error", onError);
        done(result);
      };
      const onData = (chunk: Uint8Array) => {
        total += chunk.byteLength;
        if (total > maxBytes) {
          // A bomb: stop inflating now. The context is useless after this; the connection fails.
          inflater = undefined;
          z.close();
          finish("tooBig");
          return;
        }
        chunks.push(chunk);
      };
      const onError = (error: Error) => {
        inflater = undefined;
        z.close();
        finish(error);
      };
      z.on("data", onData);
      z.on("error", onError);
      z.write(data);
      z.write(DEFLATE_TAIL);
      z.flush(constants.Z_SYNC_FLUSH, () => {
        if (settled) return;
        // The client starts afresh with every message: no window to keep between them.
        if (params.clientNoContextTakeover) z.reset();
        finish(concat(chunks, total));
      });
    },
    deflate(data, done) {
      if (closed) return done(new Error("connection closed"));
      const z = (deflater ??= newDeflater());
      const chunks: Uint8Array[] = [];
      let total = 0;
      const onData = (chunk: Uint8Array) => {
        total += chunk.byteLength;
        chunks.push(chunk);
      };
      const onError = (error: Error) => {
        z.off("data", onData);
        deflater = undefined;
        z.close();
        done(error);
      };
      z.on("data", onData);
      z.once("error", onError);
      z.write(data);
      z.flush(constants.Z_SYNC_FLUSH, () => {
        z.off("data", onData);
        z.off("error", onError);
        if (params.serverNoContextTakeover) z.reset();
        done(concat(chunks, total));
      });
    },
    close() {
      closed = true;
      inflater?.close();
      deflater?.close();
      inflater = deflater = undefined;
    },
  };
}
