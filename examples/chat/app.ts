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
 * A refused join is an HTTP answer (400, 409, 503 with the reason as text), which a browser's
 * WebSocket cannot read: it only reports 1006. A client that asks with `refusal=close` in the
 * query is accepted instead and closed at once with `4000 + status` and the same text as the
 * close reason (see `refuse` below); the chat page asks for that.
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

/**
 * A join refused for a client that asked to hear why in a close frame (`refusal=close`): the
 * socket opens holding no nickname and no room, and `onopen` closes it with this.
 */
interface Refused {
  refusal: { code: number; reason: string };
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
  /** Open chat sockets that are streams of an HTTP/2 connection (RFC 8441), for `/stats`. */
  open: { http2: number };
} {
  const app = new Rookery({
    maxPayload: 4096,
    ...(broker ? { broker } : {}),
    // Every line counts: short JSON compresses well once the context has seen a few.
    ...(deflate ? { perMessageDeflate: { threshold: 0 } } : {}),
  });
  const rooms = new Rooms({ maxRooms, reserveMs, history: HISTORY });
  const open = { http2: 0 };
  const rate: Rate = { perSecond: RATE_PER_SECOND, burst: RATE_BURST };

  const record = (room: string, event: ChatEvent) => {
    rooms.record(room, event);
    app.publish(room, JSON.stringify(event));
  };

  app
    .ws("/chat/:room")
    .onaccept((req, { room }) => {
      const query = new URL(req.url).searchParams;
      const nick = (query.get("nick") ?? "").trim();
      // Why the close and not a pre-check (a `fetch` the page makes before the socket): the
      // reservation is taken here, atomically, so only this answer is the real one; a check
      // made a round trip earlier can pass and still be refused (or the other way round), and
      // costs every join one more request. Closing with the reason tells the page why this very
      // attempt failed, the way `onopen` already reports a lapsed reservation. It is opt-in,
      // so other clients keep the plain HTTP status, and a refused socket holds nothing: no
      // nickname, no room, no rate bucket.
      const refuse = (status: number, text: string): Response | { data: Refused } =>
        query.get("refusal") === "close" ? { data: { refusal: { code: 4000 + status, reason: text.trim() } } } : new Response(text, { status });
      if (!ROOM.test(room)) return refuse(400, "Room names are 1-32 letters, digits, _ or -\n");
      if (!NICK.test(nick)) return refuse(400, "Nicknames are 1-24 letters, digits, spaces, _ or -\n");
      const admission = rooms.reserve(room, nick);
      if (!admission.ok) return refuse(admission.status, admission.text);
      const data: Member = { nick, room, hold: admission.hold, joined: false, bucket: fullBucket(rate, performance.now()) };
      return { data };
    })
    .onopen((conn) => {
      if (conn.httpVersion === "2") open.http2++;
      const member = conn.data;
      if ("refusal" in member) {
        conn.close(member.refusal.code, member.refusal.reason);
        return;
      }
      const { nick, room, hold } = member;
      const claimed = rooms.claim(room, nick, hold);
      if (!claimed.ok) {
        // The reservation lapsed before the socket opened and the nickname or the last room went to someone else.
        conn.close(4000 + claimed.status, claimed.text.trim());
        return;
      }
      member.joined = true;
      const welcome: ChatEvent = { type: "welcome", nick, room, members: rooms.members(room), history: rooms.history(room), worker };
      conn.send(JSON.stringify(welcome));
      conn.subscribe(room);
      record(room, { type: "join", nick, at: Date.now() });
    })
    .onmessage((conn, message, isBinary) => {
      const member = conn.data;
      // Messages already read when the close started still arrive: they must not broadcast.
      if (conn.readyState !== ReadyState.OPEN || "refusal" in member || !member.joined) return;
      if (!take(member.bucket, rate, performance.now())) {
        conn.close(RATE_CLOSE.code, RATE_CLOSE.reason);
        return;
      }
      if (isBinary) return;
      const text = (message as string).trim().slice(0, 500);
      if (text) record(member.room, { type: "message", nick: member.nick, text, at: Date.now() });
    })
    .onclose((conn) => {
      if (conn.httpVersion === "2") open.http2--;
      const member = conn.data;
      if ("refusal" in member || !member.joined) return;
      const { nick, room } = member;
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
  return { app, fetch, rooms, open };
}
