/**
 * The app the own-server scripts share: `/ws` echoes and counts opens and closes. Each script
 * serves it from the runtime's own server through Rookery's low-level entry (Node's
 * `handleUpgrade`, Deno's `handler`, Bun's `handlers`), answers `GET /stats` with the counts and
 * `GET /shutdown` by awaiting `app.close()`.
 */
import { Rookery } from "../../mod.ts";

export function ownApp(): { app: Rookery; plain: (req: Request) => Promise<Response> | undefined } {
  const app = new Rookery({ logger: () => {} });
  const counts = { opened: 0, closed: 0, closeCodes: [] as number[] };
  app
    .ws("/ws")
    .onopen(() => void counts.opened++)
    .onmessage((conn, message) => void conn.send(message))
    .onclose((_conn, _reason, code) => {
      counts.closed++;
      counts.closeCodes.push(code);
    });
  const plain = (req: Request) => {
    const { pathname } = new URL(req.url);
    if (pathname === "/stats") return Promise.resolve(Response.json(counts));
    if (pathname === "/shutdown") return app.close().then(() => Response.json(counts));
    return undefined;
  };
  return { app, plain };
}
