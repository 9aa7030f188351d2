/**
 * Chat-like JSON messages of an exact size, for the compression scenarios: the same field names
 * in every message, user names, ids, timestamps and words that vary. That is what deflate meets
 * in real WebSocket traffic; one message repeated would compress to a back-reference and flatter
 * every server.
 */
import { Buffer } from "node:buffer";
import { constants, deflateRawSync } from "node:zlib";
import { frame } from "./raw_ws.ts";

const WORDS = (
  "the a to and of in is it you that for on was with are this be at have not but what all were when we there can an your " +
  "which their said if do will each about how up out them then she many some so these would other into has more her two like " +
  "deploy build review merge branch ticket meeting lunch tomorrow later thanks sounds good looks fine ship it release staging " +
  "production rollback latency dashboard alert oncall coffee weekend friday monday standup sprint backlog design docs"
).split(" ");
const NAMES = ["ada", "grace", "linus", "margaret", "ken", "barbara", "dennis", "frances", "edsger", "radia", "tim", "anita"];
const ROOMS = ["general", "random", "eng-backend", "eng-frontend", "incidents", "design", "releases"];
const EMOJI = ["thumbsup", "tada", "eyes", "rocket", "heart", "white_check_mark"];

/** A small deterministic generator (mulberry32): every run compresses the same bytes. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` distinct chat messages, each exactly `bytes` long as UTF-8 (ASCII here). */
export function chatMessages(count: number, bytes = 1024, seed = 1): string[] {
  const rnd = random(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const id = () => Math.floor(rnd() * 2 ** 48).toString(36);
  const sentence = (n: number) => Array.from({ length: n }, () => pick(WORDS)).join(" ");
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const author = pick(NAMES);
    const message = {
      type: "message.created",
      room: pick(ROOMS),
      id: id(),
      seq: 100_000 + i,
      ts: new Date(Date.UTC(2026, 0, 1) + Math.floor(rnd() * 86_400_000)).toISOString(),
      author: { id: id(), name: author, displayName: author[0]!.toUpperCase() + author.slice(1), avatar: `https://cdn.example.com/avatars/${author}.png`, online: rnd() > 0.3 },
      text: sentence(12 + Math.floor(rnd() * 20)),
      mentions: rnd() > 0.5 ? [{ id: id(), name: pick(NAMES) }] : [],
      reactions: Array.from({ length: Math.floor(rnd() * 4) }, () => ({ emoji: pick(EMOJI), count: 1 + Math.floor(rnd() * 9), me: rnd() > 0.7 })),
      thread: rnd() > 0.6 ? { parentId: id(), replies: Math.floor(rnd() * 30) } : null,
      edited: false,
      meta: { client: pick(["web", "ios", "android", "desktop"]), version: `4.${Math.floor(rnd() * 20)}.${Math.floor(rnd() * 10)}` },
    };
    let json = JSON.stringify(message);
    if (json.length > bytes) throw new Error(`a chat message came to ${json.length} bytes, more than ${bytes}`);
    // Up to the size with more words in the text, as a longer message would have, not a run of one byte.
    let more = "";
    while (json.length + more.length < bytes) more += ` ${pick(WORDS)}`;
    message.text += more.slice(0, bytes - json.length);
    json = JSON.stringify(message);
    out.push(json);
  }
  return out;
}

/**
 * Masked client frames carrying `messages` compressed, each deflated on its own (sync flush,
 * tail removed): valid under context takeover too, and the server still inflates all of it.
 */
export function compressedFrames(messages: readonly string[]): Buffer[] {
  return messages.map((m) => {
    const deflated = deflateRawSync(Buffer.from(m), { finishFlush: constants.Z_SYNC_FLUSH });
    return frame(1, deflated.subarray(0, deflated.length - 4), true);
  });
}

/** The extension offer a browser makes. */
export const DEFLATE_OFFER = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n";
