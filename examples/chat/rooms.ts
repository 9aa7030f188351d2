/**
 * The rooms of one chat process: how many may be live at once, who is in each, which nicknames
 * are reserved by a handshake that has not opened yet, and the last lines of each room. A room
 * lives while it has a member or a reservation; when the last one goes, its history goes too.
 */
import type { ChatEvent } from "./app.ts";

/** A nickname held for a socket between `onaccept` and `onopen`; identity tells holds apart. */
export interface Hold {
  timer: ReturnType<typeof setTimeout> | undefined;
}

export type Admission =
  | { ok: true; hold: Hold }
  | { ok: false; status: 409 | 503; text: string };

export interface RoomLimits {
  /** Rooms that may be live at once; a join that would open one more is refused (503). */
  maxRooms: number;
  /** How long a reservation waits for its socket to open before the nickname is free again. */
  reserveMs: number;
  /** Lines of history kept per room. */
  history: number;
}

interface Room {
  history: ChatEvent[];
  members: Set<string>;
  held: Map<string, Hold>;
}

export const TAKEN = "That nickname is taken in this room\n";
export const FULL = "Too many rooms are open on this server: join an existing room or try again later\n";

export class Rooms {
  readonly #rooms = new Map<string, Room>();
  readonly #limits: RoomLimits;

  constructor(limits: RoomLimits) {
    this.#limits = limits;
  }

  /** Live rooms. */
  get size(): number {
    return this.#rooms.size;
  }

  /** Reservations waiting for their socket (for the debug stats: walks every room). */
  get reserved(): number {
    let n = 0;
    for (const room of this.#rooms.values()) n += room.held.size;
    return n;
  }

  /**
   * Reserves `nick` in `room`, opening the room if needed. Synchronous, so of several joins
   * racing for one nickname exactly one wins, whatever the runtime does between accept and open.
   */
  reserve(name: string, nick: string): Admission {
    let room = this.#rooms.get(name);
    if (room && (room.members.has(nick) || room.held.has(nick))) return { ok: false, status: 409, text: TAKEN };
    if (!room) {
      if (this.#rooms.size >= this.#limits.maxRooms) return { ok: false, status: 503, text: FULL };
      room = { history: [], members: new Set(), held: new Map() };
      this.#rooms.set(name, room);
    }
    const hold: Hold = { timer: undefined };
    // A failed upgrade, or a client gone before its socket opened, never reaches onclose: the
    // timer is what frees the nickname (and the room) then.
    hold.timer = unref(setTimeout(() => this.#release(name, nick, hold), this.#limits.reserveMs));
    room.held.set(nick, hold);
    return { ok: true, hold };
  }

  /**
   * Makes the holder of `hold` a member. If the hold lapsed before the socket opened, the
   * nickname is taken afresh when still free; otherwise the refusal is returned.
   */
  claim(name: string, nick: string, hold: Hold): Admission {
    const room = this.#rooms.get(name);
    if (room && room.held.get(nick) === hold) {
      clearTimeout(hold.timer);
      room.held.delete(nick);
      room.members.add(nick);
      return { ok: true, hold };
    }
    const again = this.reserve(name, nick);
    return again.ok ? this.claim(name, nick, again.hold) : again;
  }

  /** Removes a member; the room and its history go with its last member. */
  leave(name: string, nick: string): void {
    const room = this.#rooms.get(name);
    if (!room) return;
    room.members.delete(nick);
    this.#dropIfEmpty(name, room);
  }

  members(name: string): string[] {
    return [...(this.#rooms.get(name)?.members ?? [])];
  }

  history(name: string): ChatEvent[] {
    return [...(this.#rooms.get(name)?.history ?? [])];
  }

  /** Appends to a live room's history, keeping its last lines. A closed room keeps nothing. */
  record(name: string, event: ChatEvent): void {
    const lines = this.#rooms.get(name)?.history;
    if (!lines) return;
    lines.push(event);
    if (lines.length > this.#limits.history) lines.splice(0, lines.length - this.#limits.history);
  }

  #release(name: string, nick: string, hold: Hold): void {
    const room = this.#rooms.get(name);
    if (!room || room.held.get(nick) !== hold) return;
    room.held.delete(nick);
    this.#dropIfEmpty(name, room);
  }

  #dropIfEmpty(name: string, room: Room): void {
    if (room.members.size === 0 && room.held.size === 0) this.#rooms.delete(name);
  }
}

/** Lets the process exit with the timer pending, where the runtime can (Node and Bun; Deno's is a number). */
function unref<T>(timer: T): T {
  if (typeof timer === "object" && timer !== null && "unref" in timer && typeof timer.unref === "function") timer.unref();
  return timer;
}
