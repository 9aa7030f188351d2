/** Starts a server script under a real runtime as a child process, and stops it by PID (tests and the bench). */
import { type ChildProcess, spawn } from "node:child_process";
import { resolve } from "node:path";

export type Runtime = "node" | "deno" | "bun";

/**
 * What a server script can run on: a runtime with its own adapter, or `"deno-node"`, Deno serving
 * with the Node adapter (`rookery/node` on Deno's `node:http`). The script gets `--adapter node`
 * and must honour it (examples/serve_any.ts `adapterFlag`). Kept apart from {@link Runtime} so
 * that tables keyed by runtime need no entry for it.
 */
export type Target = Runtime | "deno-node";

const root = resolve(import.meta.dirname, "..");
const bin = (name: string) => resolve(root, "node_modules/.bin", name);

/** The command line that runs `script` on `target`; `exposeGc` makes `gc()` callable (Bun always has `Bun.gc`). */
export function runtimeCommand(target: Target, script: string, args: string[] = [], exposeGc = false): [string, string[]] {
  const file = resolve(root, script);
  switch (target) {
    case "node":
      return [process.execPath, [...(exposeGc ? ["--expose-gc"] : []), file, ...args]];
    case "deno":
      return [bin("deno"), ["run", "-A", "--quiet", ...(exposeGc ? ["--v8-flags=--expose-gc"] : []), file, ...args]];
    case "deno-node":
      return runtimeCommand("deno", script, [...args, "--adapter", "node"], exposeGc);
    case "bun":
      return [bin("bun"), [file, ...args]];
  }
}

export interface StartOptions {
  args?: string[];
  /** How long to wait for the port line. Default: 20 s. */
  timeoutMs?: number;
  /** The line that carries the port. Default: `PORT <n>`. */
  ready?: RegExp;
  exposeGc?: boolean;
}

export interface RunningServer {
  port: number;
  child: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

/** Spawns `script` and waits (bounded) for it to print its port. */
export function startServer(runtime: Target, script: string, options: StartOptions = {}): Promise<RunningServer> {
  const { args = [], timeoutMs: ms = 20_000, ready = /PORT (\d+)/, exposeGc = false } = options;
  const [cmd, argv] = runtimeCommand(runtime, script, args, exposeGc);
  const child = spawn(cmd, argv, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolvePort, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`${runtime} ${script} did not start in ${ms} ms:\n${out}`));
    }, ms);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = ready.exec(out);
      if (m) {
        clearTimeout(timer);
        resolvePort({ port: Number(m[1]), child, output: () => out, stop });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${runtime} ${script} exited with ${code}:\n${out}`));
    });
  });
}
