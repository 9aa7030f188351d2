/**
 * Serves an app with the adapter of the runtime this runs in: Deno, Bun or Node. Runtime
 * detection lives here, in the examples, never in the core.
 */
import type { Rookery } from "../mod.ts";

export interface Served {
  port: number;
  hostname: string;
  runtime: "deno" | "bun" | "node";
  close(): Promise<void>;
}

export type Fallback = (request: Request) => Response | Promise<Response>;

const g = globalThis as { Deno?: { args: string[] }; Bun?: unknown; process?: { argv: string[] } };

/** Which runtime this is. */
export const runtime: Served["runtime"] = g.Deno ? "deno" : g.Bun ? "bun" : "node";

/** Command-line arguments, the same way on every runtime. */
export const args: string[] = g.Deno ? g.Deno.args : (g.process?.argv.slice(2) ?? []);

/** The value after `--name`, or `fallback`. */
export function flag(name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
}

export async function serveAny(
  app: Rookery,
  options: { port: number; hostname: string; fetch?: Fallback },
): Promise<Served> {
  // The specifiers are variables so each runtime only loads (and type-checks) its own adapter.
  const adapter = `../adapters/${runtime}.ts`;
  const { serve } = (await import(adapter)) as {
    serve: (app: Rookery, o: typeof options) => Promise<{ port: number; hostname: string; close(): Promise<void> }>;
  };
  const server = await serve(app, options);
  return { port: server.port, hostname: server.hostname, runtime, close: () => server.close() };
}
