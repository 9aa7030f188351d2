/**
 * A small real-time chat on Rookery: rooms from the path (`/chat/:room`), a nickname reserved
 * in `onaccept`, join and leave notices, the last lines of each room replayed on join, and
 * topics for the broadcast. The page is served by the fallback HTTP handler. Runtime-agnostic:
 * the server file picks the adapter.
 *
 * Hostile clients are bounded: live rooms are capped (503 past it), a room's history is freed
 * with its last member, a nickname is reserved atomically in `onaccept` (and freed if the
 * socket never opens), and each connection is held to a message rate.
 *
 * With a broker, messages, joins and leaves reach a room's members on every process; the
 * history replayed on join, the member list in the welcome, the nickname check and the room
 * cap only cover this process (a real service would keep them in Redis too).
 */
import { type Broker, ReadyState, Rookery } from "../../mod.ts";
import { PAGE } from "./page.ts";
import { type Bucket, fullBucket, type Rate, take } from "./rate.ts";
import { type Hold, Rooms } from "./rooms.ts";

/** Lines of history kept per room. */
export const HISTORY = 50;
/** Rooms live at once on one process; a join that would open one more gets 503. */
export const MAX_ROOMS = 1000;
/** How long a nickname stays reserved for a handshake whose socket has not opened. */
export const RESERVE_MS = 5000;
/** Messages a connection may send per second, sustained. */
export const RATE_PER_SECOND = 20;
/** Messages a connection may send at once before the sustained rate applies. */
export const RATE_BURST = 40;
/** The close for a sender over the rate: 1008, policy violation. */
export const RATE_CLOSE = { code: 1008, reason: "Too many messages: slow down" } as const;

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
  /** Default: {@link MAX_ROOMS}. */
  maxRooms?: number;
  /** Default: {@link RESERVE_MS}. */
  reserveMs?: number;
  /**
   * Compress chat traffic (permessage-deflate) for clients that offer it. Chat lines are short
   * and alike, so with the context kept they shrink many times over. Default: false (Deno's
   * native adapter cannot compress).
   */
  deflate?: boolean;
}

interface Member {
  nick: string;
  room: string;
  hold: Hold;
  /** Set once `onopen` has made the nickname this connection's. */
  joined: boolean;
  bucket: Bucket;
}

export function chatApp({ broker, worker = "", maxRooms = MAX_ROOMS, reserveMs = RESERVE_MS, deflate = false }: ChatOptions = {}): {
  app: Rookery;
  fetch: (req: Request) => Response;
  rooms: Rooms;
} {
  const app = new Rookery({
    maxPayload: 4096,
    ...(broker ? { broker } : {}),
    // Every line counts: short JSON compresses well once the context has seen a few.
    ...(deflate ? { perMessageDeflate: { threshold: 0 } } : {}),
  });
  const rooms = new Rooms({ maxRooms, reserveMs, history: HISTORY });
  const rate: Rate = { perSecond: RATE_PER_SECOND, burst: RATE_BURST };

  const record = (room: string, event: ChatEvent) => {
    rooms.record(room, event);
    app.publish(room, JSON.stringify(event));
  };

  app
    .ws("/chat/:room")
    .onaccept((req, { room }) => {
      const nick = (new URL(req.url).searchParams.get("nick") ?? "").trim();
      if (!ROOM.test(room)) return new Response("Room names are 1-32 letters, digits, _ or -\n", { status: 400 });
      if (!NICK.test(nick)) return new Response("Nicknames are 1-24 letters, digits, spaces, _ or -\n", { status: 400 });
      const admission = rooms.reserve(room, nick);
      if (!admission.ok) return new Response(admission.text, { status: admission.status });
      const data: Member = { nick, room, hold: admission.hold, joined: false, bucket: fullBucket(rate, performance.now()) };
      return { data };
    })
    .onopen((conn) => {
      const { nick, room, hold } = conn.data;
      const claimed = rooms.claim(room, nick, hold);
      if (!claimed.ok) {
        // The reservation lapsed before the socket opened and the nickname or the last room went to someone else.
        conn.close(4000 + claimed.status, claimed.text.trim());
        return;
      }
      conn.data.joined = true;
      const welcome: ChatEvent = { type: "welcome", nick, room, members: rooms.members(room), history: rooms.history(room), worker };
      conn.send(JSON.stringify(welcome));
      conn.subscribe(room);
      record(room, { type: "join", nick, at: Date.now() });
    })
    .onmessage((conn, message, isBinary) => {
      // Messages already read when the close started still arrive: they must not broadcast.
      if (conn.readyState !== ReadyState.OPEN || !conn.data.joined) return;
      if (!take(conn.data.bucket, rate, performance.now())) {
        conn.close(RATE_CLOSE.code, RATE_CLOSE.reason);
        return;
      }
      if (isBinary) return;
      const text = (message as string).trim().slice(0, 500);
      if (text) record(conn.data.room, { type: "message", nick: conn.data.nick, text, at: Date.now() });
    })
    .onclose((conn) => {
      const { nick, room, joined } = conn.data;
      if (!joined) return;
      rooms.leave(room, nick);
      record(room, { type: "leave", nick, at: Date.now() });
    });

  const fetch = (req: Request): Response => {
    const { pathname } = new URL(req.url);
    if (pathname === "/" || pathname === "/index.html") {
      return new Response(PAGE, { headers: { "content-type": "text/html; charset=utf-8" } });
    }
    return new Response("Not Found\n", { status: 404 });
  };
  return { app, fetch, rooms };
}
