/**
 * Bench servers import this so the load client can collect garbage (SIGUSR2) before it reads
 * RSS: memory per connection then counts what connections keep, not handshake garbage that
 * happens not to be collected yet. The same for every server: fair.
 *
 * After collecting, it prints `MEMORY {...}` (rss, heapUsed, arrayBuffers, external) on stdout:
 * zlib's contexts live outside the JS heap, so the compression scenarios need the server's own
 * breakdown, which /proc cannot give.
 */
// deno-lint-ignore no-explicit-any
const g = globalThis as any;
// `--keep-bytecode` (Node): V8 otherwise drops the bytecode of code that has not run for a few
// collections, startup code first, and a heap figure taken before that drop reads as megabytes
// that the connections measured after it gave back.
if (!g.Deno && !g.Bun && g.process.argv.includes("--keep-bytecode")) {
  const { setFlagsFromString } = await import("node:v8");
  setFlagsFromString("--no-flush-bytecode");
}
const collect = () => {
  if (g.Bun) g.Bun.gc(true);
  else {
    // Twice: native handles (zlib streams, sockets) let go in the first pass's weak callbacks.
    g.gc?.();
    g.gc?.();
    // Then V8's last-resort collection, which also gives back the young generation's pages:
    // opening thousands of connections grows it to tens of MiB (handshake garbage), committed
    // until V8 shrinks it in its own time, and RSS would count that as memory the connections keep.
    g.gc?.({ type: "major", execution: "sync", flavor: "last-resort" });
  }
  const m = g.Deno ? g.Deno.memoryUsage() : g.process.memoryUsage();
  const line = `MEMORY ${JSON.stringify({ rss: m.rss, heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers ?? 0, external: m.external })}\n`;
  if (g.Deno) g.Deno.stdout.writeSync(new TextEncoder().encode(line));
  else g.process.stdout.write(line);
};
if (g.Deno) g.Deno.addSignalListener("SIGUSR2", collect);
else g.process.on("SIGUSR2", collect);
