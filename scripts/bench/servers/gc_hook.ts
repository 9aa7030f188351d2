/**
 * Bench servers import this so the load client can collect garbage (SIGUSR2) before it reads
 * RSS: memory per connection then counts what connections keep, not handshake garbage that
 * happens not to be collected yet. The same for every server: fair.
 */
// deno-lint-ignore no-explicit-any
const g = globalThis as any;
const collect = () => (g.Bun ? g.Bun.gc(true) : g.gc?.());
if (g.Deno) g.Deno.addSignalListener("SIGUSR2", collect);
else g.process.on("SIGUSR2", collect);
