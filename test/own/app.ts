/**
 * The app the own-server scripts share: `/ws` echoes and counts opens and closes. Each script
 * serves it from the runtime's own server through Rookery's low-level entry (Node's
 * `handleUpgrade`, Deno's `handler`, Bun's `handlers`), answers `GET /stats` with the counts and
 * `GET /shutdown` by awaiting `app.close()`. `/throws` has an `onmessage` that throws and no
 * `onerror`: what the app's logger received is in `/stats` as `logged`.
 */
import { Rookery } from "../../mod.ts";

export function ownApp(): { app: Rookery; plain: (req: Request) => Promise<Response> | undefined } {
  const counts = { opened: 0, closed: 0, closeCodes: [] as number[], logged: [] as string[] };
  const app = new Rookery({ logger: (message, error) => void counts.logged.push(`${message}: ${error instanceof Error ? error.message : ""}`) });
  app.ws("/throws").onmessage(() => {
    throw new Error("a bug in onmessage");
  });
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
