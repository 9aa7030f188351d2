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

/** A fallback for plain HTTP; `env` is the runtime's own second argument (see each adapter's fetch type). */
export type Fallback = (request: Request, env: unknown) => Response | Promise<Response>;

const g = globalThis as {
  Deno?: { args: string[]; pid: number; addSignalListener(signal: string, fn: () => void): void; exit(code: number): never };
  Bun?: unknown;
  process?: { argv: string[]; pid: number; on(signal: string, fn: () => void): void; exit(code: number): never };
};

/** Which runtime this is. */
export const runtime: Served["runtime"] = g.Deno ? "deno" : g.Bun ? "bun" : "node";

/** This process's id, on every runtime. */
export const pid: number = g.Deno?.pid ?? g.process?.pid ?? 0;

/** Command-line arguments, the same way on every runtime. */
export const args: string[] = g.Deno ? g.Deno.args : (g.process?.argv.slice(2) ?? []);

/** The value after `--name`, or `fallback`. */
export function flag(name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
}

/** Runs `fn` when the process gets `signal` (SIGINT, SIGTERM, SIGHUP), on every runtime. */
export function onSignal(signal: "SIGINT" | "SIGTERM" | "SIGHUP", fn: () => void): void {
  if (g.Deno) g.Deno.addSignalListener(signal, fn);
  else g.process!.on(signal, fn);
}

/** Ends the process with `code`, on every runtime. */
export function exit(code: number): never {
  return g.Deno ? g.Deno.exit(code) : g.process!.exit(code);
}

export async function serveAny(
  app: Rookery,
  options: { port: number; hostname: string; fetch?: Fallback; reusePort?: boolean; closeTimeout?: number },
): Promise<Served> {
  // The specifiers are variables so each runtime only loads (and type-checks) its own adapter.
  const adapter = `../adapters/${runtime}.ts`;
  const { serve } = (await import(adapter)) as {
    serve: (app: Rookery, o: typeof options) => Promise<{ port: number; hostname: string; close(): Promise<void> }>;
  };
  const server = await serve(app, options);
  return { port: server.port, hostname: server.hostname, runtime, close: () => server.close() };
}
