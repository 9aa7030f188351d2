/**
 * Memory in use after a full collection, for test servers on any runtime (they run with gc
 * exposed), in bytes: the JS heap, and the heap plus what array buffers hold outside it (Bun's
 * `heapUsed` already counts those).
 */
export function collectedMemory(): { heapUsed: number; retained: number } {
  // deno-lint-ignore no-explicit-any
  const g = globalThis as any;
  if (g.Bun) g.Bun.gc(true);
  else g.gc?.();
  if (g.Deno) {
    const m = g.Deno.memoryUsage();
    return { heapUsed: m.heapUsed, retained: m.heapUsed + m.external };
  }
  const m = g.process.memoryUsage();
  return { heapUsed: m.heapUsed, retained: g.Bun ? m.heapUsed : m.heapUsed + m.arrayBuffers };
}
