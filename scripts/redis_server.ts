/**
 * A private `redis-server` for tests and the bench: 127.0.0.1, an ephemeral port, no
 * persistence, stopped by its PID. `restart()` brings it back on the same port, as an operator
 * restarting Redis would.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createServer } from "node:net";

export interface PrivateRedis {
  readonly port: number;
  readonly url: string;
  /** PID of the running server (changes on restart). */
  readonly pid: number;
  /** Stops it: SIGTERM, or SIGKILL to play a crash. Resolves once the process is gone. */
  stop(signal?: "SIGTERM" | "SIGKILL"): Promise<void>;
  /** Starts it again on the same port (after `stop`). */
  restart(): Promise<void>;
  /** Freezes it (SIGSTOP): connections stay open, nothing is answered, until it is stopped. */
  pause(): void;
}

/** Fails with an install hint when Debian's redis-server is missing (`.ci/run` installs it). */
export function redisServerPath(): string {
  try {
    return execFileSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" }).trim();
  } catch {
    throw new Error("redis-server is not installed: run `apt-get install -y redis-server` (.ci/run does)");
  }
}

/** A free TCP port on 127.0.0.1 (free when this returns; Redis binds it right after). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

function launch(binary: string, port: number): Promise<ChildProcess> {
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no"];
  const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`redis-server did not start on ${port} in 10 s:\n${out}`));
    }, 10_000);
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("Ready to accept connections")) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}:\n${out}`));
    });
  });
}

/** Starts a private Redis and waits until it accepts connections. */
export async function startRedis(): Promise<PrivateRedis> {
  const binary = redisServerPath();
  const port = await freePort();
  let child = await launch(binary, port);
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child.pid!;
    },
    async stop(signal = "SIGTERM") {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((r) => child.once("exit", r));
      child.kill(signal);
      await gone;
    },
    async restart() {
      child = await launch(binary, port);
    },
    pause() {
      child.kill("SIGSTOP");
    },
  };
}
