/**
 * What every recipe test does: start the recipe's example on its runtime, then check, with
 * undici's clients, that Rookery's route echoes, the framework's own routes answer, an unknown
 * path gets the framework's 404, and SIGTERM shuts the app down (1001 to a connected client, then
 * the process ends by itself with code 0).
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { WebSocket, type WebSocketInit } from "undici";
import WebSocketClient from "ws";
import { expect, it } from "vitest";
import { type RunningServer, startServer, type Target } from "../../scripts/spawn_server.ts";

const root = resolve(import.meta.dirname, "../..");

/** What the checks read of an HTTP answer: the global fetch's and undici's both fit. */
export interface Answer {
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
  json(): Promise<unknown>;
}

/** An open undici WebSocket with what it received so far. */
export interface Client {
  ws: WebSocket;
  /** Resolves with the next message not taken yet (text; binary as `bytes:<length>`), within 5 s. */
  next(): Promise<string>;
  closed: Promise<[code: number, reason: string]>;
}

export async function connect(url: string, init: WebSocketInit = {}): Promise<Client> {
  const ws = new WebSocket(url, init);
  ws.binaryType = "arraybuffer";
  const received: string[] = [];
  const waiting: ((message: string) => void)[] = [];
  ws.addEventListener("message", (e) => {
    const message = typeof e.data === "string" ? e.data : `bytes:${(e.data as ArrayBuffer).byteLength}`;
    const taker = waiting.shift();
    if (taker) taker(message);
    else received.push(message);
  });
  const closed = new Promise<[number, string]>((r) => ws.addEventListener("close", (e) => r([e.code, e.reason])));
  await new Promise<void>((opened, failed) => {
    ws.addEventListener("open", () => opened());
    ws.addEventListener("error", () => failed(new Error(`WebSocket to ${url} failed`)));
  });
  const next = () =>
    received.length > 0
      ? Promise.resolve(received.shift()!)
      : new Promise<string>((took, late) => {
          const timer = setTimeout(() => late(new Error("no message within 5 s")), 5000);
          waiting.push((message) => {
            clearTimeout(timer);
            took(message);
          });
        });
  return { ws, next, closed };
}

/** `promise`, or a rejection naming `what` after `ms`: a hang fails fast and says where. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Resolves with the child's exit code (`null` when a signal ended it), or rejects after `ms`. */
export function exitWithin(server: RunningServer, ms: number): Promise<number | null> {
  const { child } = server;
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((exited, late) => {
    const timer = setTimeout(() => late(new Error(`still running ${ms} ms after SIGTERM:\n${server.output()}`)), ms);
    child.once("exit", (code) => {
      clearTimeout(timer);
      exited(code);
    });
  });
}

/** The example's source, for the pages that quote it. */
export function source(path: string): string {
  return readFileSync(resolve(root, path), "utf8");
}

export interface RecipeChecks {
  runtime: Target;
  script: string;
  args?: string[];
  /** A route of the framework's own, and what its JSON body must be. */
  route: { path: string; body: unknown };
  /** Checks the framework's answer to a path nothing serves (a 404 that is not Rookery's). */
  notFound: (response: Answer, body: string) => void;
  /** How WebSocket clients connect (headers a route asks for, a dispatcher that trusts a certificate). */
  ws?: WebSocketInit;
  /** How plain requests are made. Default: the global fetch. */
  fetch?: (url: string) => Promise<Answer>;
  /** `https` for the TLS recipe (clients then use wss://). Default: `http`. */
  scheme?: "http" | "https";
}

/**
 * The checks every recipe passes, as vitest tests inside the caller's `describe`. `server()`
 * returns the example the caller started in `beforeAll`.
 */
export function recipeChecks(checks: RecipeChecks, server: () => RunningServer): void {
  const http = checks.scheme ?? "http";
  const ws = http === "https" ? "wss" : "ws";
  const get = (path: string): Promise<Answer> => (checks.fetch ?? fetch)(`${http}://127.0.0.1:${server().port}${path}`);

  it("Rookery's /ws echoes text and bytes through the framework's server", async () => {
    const client = await connect(`${ws}://127.0.0.1:${server().port}/ws`, checks.ws);
    client.ws.send("through the framework");
    client.ws.send(new Uint8Array(70_000));
    expect(await client.next()).toBe("through the framework");
    expect(await client.next()).toBe("bytes:70000");
    client.ws.close(1000, "done");
    expect(await client.closed).toEqual([1000, "done"]);
  });

  it("the framework's own route still answers", async () => {
    const response = await get(checks.route.path);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(checks.route.body);
  });

  it("a path with no route gets the framework's 404, not Rookery's", async () => {
    const response = await get("/no/such/page");
    const body = await response.text();
    expect(response.status).toBe(404);
    expect(body).not.toBe("Not Found\n");
    checks.notFound(response, body);
  });

  it("SIGTERM: the connected client gets 1001, then the process ends by itself with code 0", async () => {
    const own = await startServer(checks.runtime, checks.script, { args: checks.args ?? [] });
    try {
      const client = await connect(`${ws}://127.0.0.1:${own.port}/ws`, checks.ws);
      client.ws.send("still here");
      expect(await client.next()).toBe("still here");
      const started = Date.now();
      own.child.kill("SIGTERM");
      expect(await within(client.closed, 3000, "the client's close")).toEqual([1001, "server shutting down"]);
      expect(await exitWithin(own, 3000)).toBe(0);
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      await own.stop();
    }
  });
}

/** The status `ws` saw when the server answered the handshake with something other than 101. */
export function refusedWith(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((refused, failed) => {
    const socket = new WebSocketClient(url, { headers });
    socket.once("unexpected-response", (_req, res) => {
      refused(res.statusCode ?? 0);
      socket.terminate();
    });
    socket.once("open", () => {
      socket.terminate();
      failed(new Error("the handshake was accepted"));
    });
    socket.once("error", () => {});
  });
}
