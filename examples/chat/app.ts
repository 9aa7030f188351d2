/**
 * A small real-time chat on Rookery: rooms from the path (`/chat/:room`), a nickname checked in
 * `onaccept`, join and leave notices, the last lines of each room replayed on join, and topics
 * for the broadcast. The page is served by the fallback HTTP handler. Runtime-agnostic: the
 * server file picks the adapter.
 *
 * With a broker, messages, joins and leaves reach a room's members on every process; the
 * history replayed on join, the member list in the welcome and the nickname check only cover
 * this process (a real service would keep them in Redis too).
 */
import { type Broker, Rookery } from "../../mod.ts";
import { PAGE } from "./page.ts";

/** Lines of history kept per room. */
export const HISTORY = 50;
const NICK = /^[\p{L}\p{N}_\- ]{1,24}$/u;
const ROOM = /^[\w-]{1,32}$/;

/** What the server sends, as JSON text. */
export type ChatEvent =
  | { type: "message"; nick: string; text: string; at: number }
  | { type: "join" | "leave"; nick: string; at: number }
  | { type: "welcome"; nick: string; room: string; members: string[]; history: ChatEvent[]; worker: string };

export interface ChatOptions {
  /** Shares rooms with the other processes of the chat. */
  broker?: Broker;
  /** Names this process in the welcome (the page shows which worker serves you). */
  worker?: string;
}

export function chatApp({ broker, worker = "" }: ChatOptions = {}): { app: Rookery; fetch: (req: Request) => Response } {
  const app = new Rookery({ maxPayload: 4096, ...(broker ? { broker } : {}) });
  const history = new Map<string, ChatEvent[]>();
  const members = new Map<string, Set<string>>();

  const record = (room: string, event: ChatEvent) => {
    const lines = history.get(room) ?? [];
    lines.push(event);
    if (lines.length > HISTORY) lines.splice(0, lines.length - HISTORY);
    history.set(room, lines);
    app.publish(room, JSON.stringify(event));
  };

  app
    .ws("/chat/:room")
    .onaccept((req, { room }) => {
      const nick = (new URL(req.url).searchParams.get("nick") ?? "").trim();
      if (!ROOM.test(room)) return new Response("Room names are 1-32 letters, digits, _ or -\n", { status: 400 });
      if (!NICK.test(nick)) return new Response("Nicknames are 1-24 letters, digits, spaces, _ or -\n", { status: 400 });
      if (members.get(room)?.has(nick)) return new Response("That nickname is taken in this room\n", { status: 409 });
      return { data: { nick, room } };
    })
    .onopen((conn) => {
      const { nick, room } = conn.data;
      const present = members.get(room) ?? new Set<string>();
      present.add(nick);
      members.set(room, present);
      const welcome: ChatEvent = { type: "welcome", nick, room, members: [...present], history: history.get(room) ?? [], worker };
      conn.send(JSON.stringify(welcome));
      conn.subscribe(room);
      record(room, { type: "join", nick, at: Date.now() });
    })
    .onmessage((conn, message, isBinary) => {
      if (isBinary) return;
      const text = (message as string).trim().slice(0, 500);
      if (text) record(conn.data.room, { type: "message", nick: conn.data.nick, text, at: Date.now() });
    })
    .onclose((conn) => {
      const { nick, room } = conn.data;
      members.get(room)?.delete(nick);
      if (members.get(room)?.size === 0) members.delete(room);
      record(room, { type: "leave", nick, at: Date.now() });
    });

  const fetch = (req: Request): Response => {
    const { pathname } = new URL(req.url);
    if (pathname === "/" || pathname === "/index.html") {
      return new Response(PAGE, { headers: { "content-type": "text/html; charset=utf-8" } });
    }
    return new Response("Not Found\n", { status: 404 });
  };
  return { app, fetch };
}
