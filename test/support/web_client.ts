import { Rookery } from "../../mod.ts";

/**
 * A client over the runtime's own web-standard `WebSocket` (Deno's, Bun's), for the tests that
 * run on those runtimes' test runners. Text arrives as strings, binary as its byte length.
 */
export interface WebClient {
  ws: WebSocket;
  got: unknown[];
  closed: Promise<[code: number, reason: string]>;
}

export async function openWebClient(url: string, protocols: string[] = []): Promise<WebClient> {
  const ws = new WebSocket(url, protocols);
  ws.binaryType = "arraybuffer";
  const got: unknown[] = [];
  ws.onmessage = (e) => got.push(typeof e.data === "string" ? e.data : (e.data as ArrayBuffer).byteLength);
  const closed = new Promise<[number, string]>((r) => (ws.onclose = (e) => r([e.code, e.reason])));
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  return { ws, got, closed };
}

/** Waits until `check` holds, for at most 5 s (the assertion after it says what failed). */
export async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
}

/**
 * The app both runtime-native suites serve: `/echo/:room` (limit 1000, subprotocol "chat",
 * typed data). "close-me" makes the server close 4000 "done"; "shout" publishes to the room;
 * anything else is echoed. Every event is pushed onto `events`.
 */
export function roomEchoApp(events: string[]): Rookery {
  const app = new Rookery({ logger: () => {} });
  app
    .ws("/echo/:room")
    .maxPayload(1000)
    .subprotocols(["chat"])
    .onaccept((_req, params) => ({ data: { room: params.room } }))
    .onopen((conn) => {
      events.push(`open:${conn.data.room}:${conn.protocol}`);
      conn.subscribe(conn.data.room);
    })
    .onmessage((conn, message, isBinary) => {
      events.push(isBinary ? `binary:${(message as Uint8Array).byteLength}` : `text:${message as string}`);
      if (message === "close-me") conn.close(4000, "done");
      else if (message === "shout") conn.publish(conn.data.room, "shouted");
      else conn.send(message);
    })
    .onerror((_conn, error) => void events.push(`error:${error.code}`))
    .onclose((_conn, reason, code) => void events.push(`close:${code}:${reason}`));
  return app;
}
