/** Server-side event transcripts per connection, for tests over real sockets. */
import { type Connection, Rookery, type RookeryOptions } from "../../mod.ts";
import type { WebSocketRoute } from "../../src/route.ts";
import { describeMessage } from "./recording_app.ts";

export class EventLog {
  readonly byConnection = new Map<string, string[]>();
  readonly all: string[][] = [];
  #waiters: (() => void)[] = [];

  record(conn: Connection<unknown, unknown>, event: string): void {
    let list = this.byConnection.get(conn.id);
    if (!list) {
      this.byConnection.set(conn.id, (list = []));
      this.all.push(list);
    }
    list.push(event);
    for (const w of this.#waiters.splice(0)) w();
  }

  /** The transcript of the `n`th connection opened (0-based), once it has closed. */
  async closed(n = 0, ms = 5000): Promise<string[]> {
    const deadline = Date.now() + ms;
    for (;;) {
      const list = this.all[n];
      if (list?.some((e) => e.startsWith("close:"))) return list;
      if (Date.now() > deadline) throw new Error(`connection ${n} did not close: ${JSON.stringify(list)}`);
      await new Promise<void>((r) => {
        this.#waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }
}

/** Adds transcript-recording handlers to a route; `onmessage` also runs `extra`. */
export function recordRoute<P>(
  route: WebSocketRoute<P>,
  log: EventLog,
  extra: (conn: Connection<undefined, P>, message: string | Uint8Array) => void = () => {},
): WebSocketRoute<P> {
  return route
    .onopen((conn) => log.record(conn, "open"))
    .onmessage((conn, message, isBinary) => {
      log.record(conn, describeMessage(message, isBinary));
      extra(conn, message);
    })
    .onerror((conn, error) => log.record(conn, `error:${error.code}`))
    .onclose((conn, reason, code) => log.record(conn, `close:${code}:${reason}`));
}

export function quietApp(options: RookeryOptions = {}): Rookery {
  return new Rookery({ logger: () => {}, ...options });
}
