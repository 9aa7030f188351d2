/**
 * Flow-control routes of the matrix fixture: handlers slower than the client.
 *
 * - `/hold`: every message waits until `GET /release?t=TAG` (never, for a stuck handler).
 * - `/slow`: every message takes 5 ms.
 *
 * Binary messages carry a 32-bit big-endian sequence number from 0; the text message "report"
 * answers `got:N:inOrder`, how many numbered messages arrived and whether each was the next.
 */
import type { Connection, Rookery } from "../../mod.ts";

type Record = (conn: Connection<unknown, unknown>, event: string) => void;

interface Counter {
  next: number;
  inOrder: boolean;
}

export function addFlowRoutes(app: Rookery, record: Record): (url: URL) => Response | undefined {
  const holds = new Map<string, { promise: Promise<void>; release: () => void }>();
  const holdOf = (tag: string) => {
    let hold = holds.get(tag);
    if (!hold) {
      let release!: () => void;
      const promise = new Promise<void>((r) => (release = r));
      hold = { promise, release };
      holds.set(tag, hold);
    }
    return hold;
  };
  const count = (conn: Connection<Counter, unknown>, message: string | Uint8Array) => {
    if (message === "report") return void conn.send(`got:${conn.data.next}:${conn.data.inOrder}`);
    if (typeof message === "string") return;
    const seq = new DataView(message.buffer, message.byteOffset, message.byteLength).getUint32(0);
    if (seq !== conn.data.next) conn.data.inOrder = false;
    conn.data.next++;
  };
  const tagOf = (conn: Connection<unknown, unknown>) => new URL(conn.url).searchParams.get("t") ?? "";

  for (const [pattern, wait] of [
    ["/hold", (conn: Connection<unknown, unknown>) => holdOf(tagOf(conn)).promise],
    ["/slow", () => new Promise<void>((r) => setTimeout(r, 5))],
  ] as const) {
    app
      .ws(pattern)
      .maxPayload(64 * 1024) // the app's 1000 bytes is for the limit cases
      .onaccept((): { data: Counter } => ({ data: { next: 0, inOrder: true } }))
      .onopen((conn) => record(conn, "open"))
      .onmessage(async (conn, message) => {
        await wait(conn);
        count(conn, message);
      })
      .onerror((conn, error) => record(conn, `error:${error.code}:${error.name}`))
      .onclose((conn, _reason, code) => record(conn, `close:${code}`));
  }

  return (url) => {
    if (url.pathname !== "/release") return undefined;
    holdOf(url.searchParams.get("t") ?? "").release();
    return new Response("released");
  };
}
