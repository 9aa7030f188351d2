/** A route whose handlers record a transcript of what the core made them do. */
import { Rookery, type RookeryOptions } from "../../mod.ts";
import type { WebSocketError } from "../../src/errors.ts";

export type Throwing = "onopen" | "onmessage" | "onerror" | "onclose";

export interface Recorder {
  app: Rookery;
  transcript: string[];
  errors: WebSocketError[];
  logged: string[];
}

export function describeMessage(message: string | Uint8Array, isBinary: boolean): string {
  return isBinary ? `message:binary:${(message as Uint8Array).byteLength}` : `message:text:${message as string}`;
}

/**
 * `/rec` records every event. `throwIn` makes one handler throw (`sync`) or reject (`async`);
 * a text message "close" makes the server close with 4000 "done".
 */
export function recordingApp(
  options: RookeryOptions = {},
  throwIn?: { handler: Throwing; mode: "sync" | "async" },
): Recorder {
  const logged: string[] = [];
  const app = new Rookery({ ...options, logger: (message) => logged.push(message) });
  const transcript: string[] = [];
  const errors: WebSocketError[] = [];
  const maybeThrow = (handler: Throwing): Promise<void> | void => {
    if (throwIn?.handler !== handler) return;
    if (throwIn.mode === "sync") throw new Error(`boom in ${handler}`);
    return Promise.reject(new Error(`boom in ${handler}`));
  };
  app
    .ws("/rec")
    .onopen((conn) => {
      transcript.push("open");
      if (conn.readyState !== 1) transcript.push(`open-state:${conn.readyState}`);
      return maybeThrow("onopen");
    })
    .onmessage((conn, message, isBinary) => {
      transcript.push(describeMessage(message, isBinary));
      if (message === "close") conn.close(4000, "done");
      return maybeThrow("onmessage");
    })
    .onerror((_conn, error) => {
      transcript.push(`error:${error.code}:${error.name}`);
      errors.push(error);
      return maybeThrow("onerror");
    })
    .onclose((_conn, reason, code) => {
      transcript.push(`close:${code}:${reason}`);
      return maybeThrow("onclose");
    });
  return { app, transcript, errors, logged };
}
