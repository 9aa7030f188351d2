/**
 * An in-memory transport that drives the core exactly as an adapter does: it asks
 * `decideUpgrade` about a request, opens the connection with a `SocketPort`, and reports
 * inbound messages, failures and closes through `SocketEvents`.
 */
import type { Rookery } from "../../src/app.ts";
import type { Connection, SendStatus } from "../../src/connection.ts";
import { openConnection } from "../../src/lifecycle.ts";
import type { SocketEvents, SocketPort } from "../../src/socket_port.ts";
import { decideUpgrade } from "../../src/upgrade.ts";
import type { NativeServer } from "./native_topics.ts";

export const KEY = "dGhlIHNhbXBsZSBub25jZQ==";

export function upgradeRequest(path: string, headers: Record<string, string> = {}): Request {
  return new Request(`http://127.0.0.1${path}`, {
    headers: {
      upgrade: "websocket",
      connection: "Upgrade",
      "sec-websocket-version": "13",
      "sec-websocket-key": KEY,
      ...headers,
    },
  });
}

/** A fake socket: records what the server sent, and lets the test play the peer. */
export interface MemorySocket {
  connection: Connection<unknown>;
  events: SocketEvents;
  /** Messages the server sent, in order. */
  sent: (string | Uint8Array)[];
  /** Ping payloads the server sent. */
  pings: Uint8Array[];
  /** `terminate` was called on the port, and how often. */
  terminated: boolean;
  terminations: number;
  /** What the port reports as `bufferedAmount` (a slow reader: set it high). */
  buffered: number;
  /** How often the core read the port's `bufferedAmount` (a call into the runtime on Deno). */
  bufferedReads: number;
  /** The close frame the server sent, if any. */
  serverClose: { code: number; reason: string } | undefined;
  /** The peer answers the server's close (or the transport ends after it). */
  finishClose(): void;
  /** With `pausable`: "pause" and "resume" as the core asked for them, in order. */
  flow: string[];
  /** With `pausable`: what the codec reports when reading resumes (inside the `resume` call). */
  onResume?: () => void;
}

export async function connect(
  app: Rookery,
  request: Request,
  /** `native`: the socket belongs to that Bun-like server and subscribes through its native pub/sub. */
  options: { sendStatus?: SendStatus; echoClose?: boolean; pausable?: boolean; native?: NativeServer } = {},
): Promise<{ response: Response } | { socket: MemorySocket }> {
  const decision = await decideUpgrade(app, request);
  if (decision.kind === "pass") return { response: new Response("not found", { status: 404 }) };
  if (decision.kind === "respond") return { response: decision.response };
  const socket = {
    sent: [],
    pings: [],
    terminated: false,
    terminations: 0,
    flow: [],
    buffered: 0,
    bufferedReads: 0,
    serverClose: undefined,
    finishClose() {
      const c = socket.serverClose;
      if (c) socket.events.closed(c.code, c.reason);
    },
  } as unknown as MemorySocket;
  // What the runtime publishes reaches the socket without the core's send, as on Bun.
  const native = options.native?.socket((message) => void socket.sent.push(message));
  const port: SocketPort = {
    send(message) {
      socket.sent.push(message);
      return options.sendStatus ?? "sent";
    },
    close(code, reason) {
      socket.serverClose = { code, reason };
      // Like a real peer, the echo arrives later, never inside the call.
      if (options.echoClose !== false) queueMicrotask(() => socket.finishClose());
    },
    get bufferedAmount() {
      socket.bufferedReads++;
      return socket.buffered;
    },
    sendPing(payload) {
      socket.pings.push(payload);
      return options.sendStatus ?? "sent";
    },
    terminate() {
      socket.terminated = true;
      socket.terminations++;
      // The transport reports the drop later, as a real socket's close event.
      queueMicrotask(() => socket.events.closed(1006, ""));
    },
    ...(options.pausable
      ? {
          pause: () => void socket.flow.push("pause"),
          resume: () => {
            socket.flow.push("resume");
            socket.onResume?.();
          },
        }
      : {}),
    ...(native ? { native: native.native } : {}),
  };
  const { connection, events } = openConnection(app, decision.acceptance, port, "127.0.0.1");
  socket.connection = connection;
  socket.events = native ? native.report(events) : events;
  socket.events.open();
  return { socket };
}

/** Waits until pending handler promises and microtasks have run. */
export function settle(ms = 0): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
