/**
 * Raw-TCP helpers for driving the chat demo in tests: joins, lines, leaves, and the server's
 * `/stats` (only there with `--stats`).
 */
import { clientFrame, closeBody, RawClient } from "../support/raw_client.ts";

export interface ChatStats {
  heap: number;
  rooms: number;
  reserved: number;
}

export const READY = /chat running at http:\/\/[^:]+:(\d+)\//;

export async function stats(port: number): Promise<ChatStats> {
  return (await (await fetch(`http://127.0.0.1:${port}/stats`)).json()) as ChatStats;
}

/** The least of `n` readings: each forces a GC, the least is the one the collector finished. */
export async function settledHeap(port: number, n = 3): Promise<number> {
  let least = Infinity;
  for (let i = 0; i < n; i++) least = Math.min(least, (await stats(port)).heap);
  return least;
}

/** Polls `/stats` until `check` holds or `ms` pass; returns the last reading. */
export async function statsUntil(port: number, check: (s: ChatStats) => boolean, ms = 10_000): Promise<ChatStats> {
  const deadline = Date.now() + ms;
  let last = await stats(port);
  while (!check(last) && Date.now() < deadline) {
    await sleep(50);
    last = await stats(port);
  }
  return last;
}

export function join(port: number, room: string, nick: string): Promise<RawClient> {
  return RawClient.handshake(port, `/chat/${room}?nick=${encodeURIComponent(nick)}`);
}

/** Joins, in batches of `batch` at a time, one client per room name. */
export async function joinMany(port: number, rooms: string[], nick: string, batch = 100): Promise<RawClient[]> {
  const clients: RawClient[] = [];
  for (let i = 0; i < rooms.length; i += batch) {
    clients.push(...(await Promise.all(rooms.slice(i, i + batch).map((room) => join(port, room, nick)))));
  }
  return clients;
}

/** The body of a refused handshake (the raw client keeps the head in `response`). */
export async function refusalBody(c: RawClient, expected: string): Promise<string> {
  await c.until(() => c.received.toString().includes(expected) || c.ended).catch(() => {});
  c.destroy();
  return c.received.toString();
}

/** Chat events received so far, parsed. */
export function events(c: RawClient): { type: string; nick?: string; text?: string }[] {
  return c.frames.filter((f) => f.opcode === 1).map((f) => JSON.parse(f.payload.toString()) as { type: string });
}

export function say(c: RawClient, lines: string[]): void {
  c.write(Buffer.concat(lines.map((line) => clientFrame(1, line))));
}

/** Closes cleanly: answers the server's close frame, or sends one, and waits for the TCP end. */
export async function leave(c: RawClient, ms = 10_000): Promise<void> {
  if (c.ended) return;
  if (c.close === undefined) c.write(clientFrame(8, closeBody(1000, "bye")));
  await c.until(() => c.ended, ms);
}

/** Answers a close the server started, as a client must, and waits for the end; the close frame, if one came. */
export async function answerClose(c: RawClient, ms = 10_000): Promise<{ code: number; reason: string } | undefined> {
  await c.until(() => c.close !== undefined || c.ended, ms);
  const close = c.close;
  if (close && !c.ended) c.write(clientFrame(8, closeBody(close.code)));
  await c.until(() => c.ended, ms);
  return close;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
