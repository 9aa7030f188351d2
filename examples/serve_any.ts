/**
 * Serves an app with the adapter of the runtime this runs in (Deno, Bun or Node), or with the one
 * asked for: `adapter: "node"` serves with Rookery's own codec on Deno's or Bun's `node:http`.
 * Runtime detection lives here, in the examples, never in the core.
 */
import type { Rookery } from "../mod.ts";

export type RuntimeName = "deno" | "bun" | "node";

export interface Served {
  port: number;
  hostname: string;
  runtime: RuntimeName;
  /** The adapter that serves: the runtime's own unless another was asked for. */
  adapter: RuntimeName;
  close(): Promise<void>;
}

/** A fallback for plain HTTP; `env` is the runtime's own second argument (see each adapter's fetch type). */
export type Fallback = (request: Request, env: unknown) => Response | Promise<Response>;

export interface ServeAnyOptions {
  port: number;
  hostname: string;
  fetch?: Fallback;
  reusePort?: boolean;
  closeTimeout?: number;
  /**
   * Which adapter serves. Default: the runtime's own. `"node"` works on every runtime (Deno and
   * Bun provide `node:http`) and brings Rookery's strict codec and compression with it; `"deno"`
   * and `"bun"` need their own runtime.
   */
  adapter?: RuntimeName;
  /** TLS certificate and key (PEM); only the Node adapter takes them here. */
  tls?: { cert: string; key: string };
  /** With `tls`: HTTP/2 too, WebSockets over it included (RFC 8441). Node adapter only. */
  http2?: boolean;
}

const g = globalThis as {
  Deno?: { args: string[]; pid: number; addSignalListener(signal: string, fn: () => void): void; exit(code: number): never };
  Bun?: unknown;
  process?: { argv: string[]; pid: number; on(signal: string, fn: () => void): void; exit(code: number): never };
};

/** Which runtime this is. */
export const runtime: RuntimeName = g.Deno ? "deno" : g.Bun ? "bun" : "node";

/** This process's id, on every runtime. */
export const pid: number = g.Deno?.pid ?? g.process?.pid ?? 0;

/** Command-line arguments, the same way on every runtime. */
export const args: string[] = g.Deno ? g.Deno.args : (g.process?.argv.slice(2) ?? []);

/** The value after `--name`, or `fallback`. */
export function flag(name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
}

/** Whether `--name` is on the command line (a flag without a value). */
export function hasFlag(name: string): boolean {
  return args.includes(`--${name}`);
}

/**
 * The adapter named by `--adapter`, or the runtime's own. Checked here so a typo fails at start
 * with the choices, not as a failed import of a file that does not exist.
 */
export function adapterFlag(): RuntimeName {
  return checkAdapter(flag("adapter", runtime));
}

function checkAdapter(name: string): RuntimeName {
  if (name === "node" || (name === runtime && (name === "deno" || name === "bun"))) return name;
  throw new TypeError(`adapter ${JSON.stringify(name)} cannot serve on ${runtime}: use "node" or "${runtime}"`);
}

/**
 * `--tls-cert FILE --tls-key FILE [--http2]` as `serveAny` options (none without them). Throws a
 * `TypeError` for one without the other, or `--http2` without TLS (browsers speak HTTP/2 only
 * over TLS).
 */
export async function tlsFlags(): Promise<Pick<ServeAnyOptions, "tls" | "http2">> {
  const certFile = flag("tls-cert", "");
  const keyFile = flag("tls-key", "");
  if (Boolean(certFile) !== Boolean(keyFile)) throw new TypeError("--tls-cert and --tls-key go together");
  if (!certFile) {
    if (hasFlag("http2")) throw new TypeError("--http2 needs --tls-cert and --tls-key: browsers speak HTTP/2 only over TLS");
    return {};
  }
  const { readFileSync } = await import("node:fs");
  return { tls: { cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8") }, http2: hasFlag("http2") };
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

export async function serveAny(app: Rookery, options: ServeAnyOptions): Promise<Served> {
  const { adapter: asked, ...serveOptions } = options;
  const adapter = checkAdapter(asked ?? runtime);
  if ((serveOptions.tls || serveOptions.http2) && adapter !== "node") {
    throw new TypeError(`TLS and HTTP/2 are served here by the Node adapter only: add --adapter node on ${runtime}`);
  }
  // The specifier is a variable so each runtime only loads (and type-checks) the adapter it uses.
  const specifier = `../adapters/${adapter}.ts`;
  const { serve } = (await import(specifier)) as {
    serve: (app: Rookery, o: typeof serveOptions) => Promise<{ port: number; hostname: string; close(): Promise<void> }>;
  };
  const server = await serve(app, serveOptions);
  return { port: server.port, hostname: server.hostname, runtime, adapter, close: () => server.close() };
}
