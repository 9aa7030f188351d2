/** The upgrade socket while Rookery decides: early bytes and a departing client. */
import type { Duplex } from "node:stream";

/** Most bytes a client may send between its handshake and our answer. */
const EARLY_DATA_LIMIT = 64 * 1024;

/**
 * Reads `socket` while the upgrade is decided: collects early bytes (dropping the client past
 * EARLY_DATA_LIMIT), notes its departure, and keeps its errors from crashing the process.
 * `release()` stops watching and returns the bytes collected, `head` first.
 */
export function watchWhileDeciding(socket: Duplex, head: Uint8Array) {
  const chunks: Uint8Array[] = head.byteLength > 0 ? [head] : [];
  let size = head.byteLength;
  const state = {
    gone: false,
    release(): Uint8Array {
      socket.off("data", onData);
      socket.off("end", onGone);
      socket.off("close", onGone);
      socket.off("error", onGone);
      socket.pause();
      // An error after this point is the WebSocket's to report; until it has a listener, ignore it.
      // A module-level function: a closure made here would keep this watcher (and the early
      // bytes) alive for as long as the socket lives.
      socket.on("error", ignore);
      return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    },
  };
  const onData = (chunk: Uint8Array) => {
    size += chunk.byteLength;
    if (size > EARLY_DATA_LIMIT) return socket.destroy();
    chunks.push(chunk);
  };
  const onGone = () => {
    state.gone = true;
  };
  socket.on("data", onData);
  socket.on("end", onGone);
  socket.on("close", onGone);
  socket.on("error", onGone);
  return state;
}

function ignore(): void {}
