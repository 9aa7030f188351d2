/**
 * Runs N copies of a server script as worker processes on one port (SO_REUSEPORT: the kernel
 * spreads connections over them), under whichever runtime runs this. The primary only starts,
 * watches and stops workers; rooms span them through the broker each worker connects to.
 *
 * A worker is the same script, started with `--worker --port P` added to its arguments; it must
 * print `http://HOST:PORT/` once it listens. The first worker picks the port (so `--port 0`
 * works); the rest join it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import { runtime } from "./serve_any.ts";

export interface Cluster {
  port: number;
  pids: number[];
  /** Stops every worker (SIGTERM, by PID) and waits for them to exit. */
  stop(): Promise<void>;
}

/** The command that runs `script` on this runtime (Deno needs --unstable-net for reusePort). */
function command(script: string, args: string[]): [string, string[]] {
  if (runtime === "deno") return [process.execPath, ["run", "-A", "--unstable-net", script, ...args]];
  if (runtime === "bun") return [process.execPath, [script, ...args]];
  return [process.execPath, [...process.execArgv, script, ...args]];
}

function startWorker(script: string, args: string[], index: number): Promise<{ child: ChildProcess; port: number }> {
  const [cmd, argv] = command(script, args);
  // The worker's stdin is a pipe from the primary: it ends when the primary dies, however it dies.
  const child = spawn(cmd, argv, { stdio: ["pipe", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`worker ${index} did not start in 20 s:\n${out}`)), 20_000);
    child.stdout!.on("data", (chunk: Uint8Array) => {
      const text = new TextDecoder().decode(chunk);
      for (const line of text.split("\n")) if (line) console.log(`[worker ${index}] ${line}`);
      out += text;
      const m = /http:\/\/[^\s/]+:(\d+)\//.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]) });
        out = "";
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`worker ${index} exited with ${code} before listening:\n${out}`));
    });
  });
}

/**
 * Starts `count` workers of `script` with `args` (which must not hold `--port`) on `port`.
 * If a worker dies, the cluster reports it and `onWorkerExit` decides (default: stop everything
 * and exit 1, so a process manager restarts the whole service).
 */
export async function startCluster(
  script: string,
  count: number,
  port: number,
  args: string[],
  onWorkerExit?: (index: number, code: number | null) => void,
): Promise<Cluster> {
  const children: ChildProcess[] = [];
  let stopping = false;
  const cluster: Cluster = {
    port,
    pids: [],
    async stop() {
      stopping = true;
      await Promise.all(
        children.map((child) =>
          child.exitCode !== null || child.signalCode !== null
            ? undefined
            : new Promise<void>((done) => (child.once("exit", () => done()), child.kill("SIGTERM")))
        ),
      );
    },
  };
  try {
    for (let i = 1; i <= count; i++) {
      const { child, port: bound } = await startWorker(script, [...args, "--worker", "--port", String(cluster.port)], i);
      children.push(child);
      cluster.port = bound;
      cluster.pids.push(child.pid!);
      child.once("exit", (code) => {
        if (stopping) return;
        if (onWorkerExit) return onWorkerExit(i, code);
        console.error(`worker ${i} exited (${code}); stopping the cluster`);
        void cluster.stop().then(() => process.exit(1));
      });
    }
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}

/** In a worker: runs `stop` once the primary is gone (its end of stdin closed), even if it was SIGKILLed. */
export function stopWithPrimary(stop: () => void): void {
  process.stdin.once("end", stop);
  process.stdin.resume();
}
