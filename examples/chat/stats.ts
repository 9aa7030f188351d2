/**
 * The chat's debug route, `GET /stats`, mounted only by `--stats` (tests measure memory with
 * it): it forces a full collection, so it must never be reachable on a public server.
 */
import type { Rooms } from "./rooms.ts";

interface Runtimes {
  Bun?: { gc(force: boolean): void };
  Deno?: { memoryUsage(): { heapUsed: number; external: number } };
  process?: { memoryUsage(): { heapUsed: number; arrayBuffers: number } };
  gc?: () => void;
}

/**
 * Wraps the page handler with `/stats`: `{ heap, rooms, reserved, http2 }`, heap in bytes after a
 * GC, `http2` the open WebSockets that are streams of an HTTP/2 connection.
 */
export function withStats(fetch: (req: Request) => Response, rooms: Rooms, open: { http2: number }): (req: Request) => Response {
  return (req) => {
    if (new URL(req.url).pathname !== "/stats") return fetch(req);
    return Response.json({ heap: collectedMemory(), rooms: rooms.size, reserved: rooms.reserved, http2: open.http2 });
  };
}

/**
 * Bytes in use after a full collection: the JS heap plus what array buffers hold outside it.
 * Node and Deno need `--expose-gc` for `gc()`; Bun's heap figure already counts array buffers.
 */
function collectedMemory(): number {
  const g = globalThis as Runtimes;
  if (g.Bun) g.Bun.gc(true);
  else g.gc?.();
  if (g.Deno) {
    const m = g.Deno.memoryUsage();
    return m.heapUsed + m.external;
  }
  const m = g.process!.memoryUsage();
  return g.Bun ? m.heapUsed : m.heapUsed + m.arrayBuffers;
}
