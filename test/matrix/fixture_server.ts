/**
 * Starts the matrix fixture on whatever runtime runs this file (node, deno or bun) on
 * 127.0.0.1 and an ephemeral port, and prints `PORT <n>` once it listens.
 *
 * `--idle SECONDS` sets the app's idleTimeout. SIGHUP shuts it down gracefully (`close()`), prints `SHUTDOWN <transcripts as JSON>`, and exits 0.
 */
import { flag, runtime, serveAny } from "../../examples/serve_any.ts";
import { fixtureApp } from "./fixture_app.ts";

const idle = flag("idle", "");
const { app, fetch, transcripts } = fixtureApp(runtime, idle ? Number(idle) : undefined);
const server = await serveAny(app, { port: 0, hostname: "127.0.0.1", fetch });
console.log(`PORT ${server.port}`);

const shutdown = async () => {
  await server.close();
  console.log(`SHUTDOWN ${JSON.stringify(transcripts())}`);
  // deno-lint-ignore no-explicit-any
  const g = globalThis as any;
  if (g.Deno) g.Deno.exit(0);
  else g.process.exit(0);
};
// deno-lint-ignore no-explicit-any
const g = globalThis as any;
if (g.Deno) g.Deno.addSignalListener("SIGHUP", shutdown);
else g.process.on("SIGHUP", shutdown);
