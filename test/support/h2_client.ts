/**
 * A WebSocket over HTTP/2 (RFC 8441) from node:http2's client, for tests: an extended CONNECT on
 * a session that has seen the server's SETTINGS, then the server's frames read back with
 * Rookery's parser in lax mode (server frames are unmasked). The test writes frames itself
 * (`clientFrame`), so it can also write broken ones. `openStream` hands over the frames as short
 * strings; `RawStream` keeps them as they came, as the HTTP/1.1 `RawClient` does.
 */
import { once } from "node:events";
import type { ClientHttp2Session, ClientHttp2Stream } from "node:http2";
import { FrameParser } from "../../src/protocol/frame_parser.ts";
import type { Target } from "../../scripts/spawn_server.ts";
import { clientFrame, closeOf, readServerFrames, type ServerFrame } from "./raw_client.ts";

/**
 * Where the Node adapter, the one that serves HTTP/2, runs: on Node itself, and on Deno and Bun
 * through their own `node:http2` with `--adapter node`.
 */
export const HTTP2_TARGETS: [Target, string[]][] = [
  ["node", []],
  ["deno", ["--adapter", "node"]],
  ["bun", ["--adapter", "node"]],
];

export interface StreamSocket {
  stream: ClientHttp2Stream;
  /** The `:status` the server answered the CONNECT with. */
  status: number;
  headers: Record<string, unknown>;
  /** Server frames as `text:…`, `binary:<length>`, `close:<code>:<reason>`, `ping:<length>`. */
  frames: string[];
  /** Resolves once the stream is closed on both sides. */
  ended: Promise<void>;
}

/** Opens `path` on `session` (to 127.0.0.1:`port`) as an extended CONNECT with `:protocol` `protocol`. */
export async function openStream(
  session: ClientHttp2Session,
  port: number,
  path: string,
  headers: Record<string, string> = {},
  protocol = "websocket",
): Promise<StreamSocket> {
  const stream = session.request(
    { ":method": "CONNECT", ":protocol": protocol, ":path": path, ":scheme": "https", ":authority": `127.0.0.1:${port}`, "sec-websocket-version": "13", ...headers },
    { endStream: false },
  );
  stream.on("error", () => {});
  const [response] = (await once(stream, "response")) as [Record<string, unknown>];
  const status = Number(response[":status"]);
  const frames: string[] = [];
  const parser = new FrameParser(
    {
      message: (m, bin) => frames.push(bin ? `binary:${(m as Uint8Array).byteLength}` : `text:${m as string}`),
      ping: (p) => frames.push(`ping:${p.byteLength}`),
      closeReceived: (code, reason) => {
        frames.push(`close:${code}:${reason}`);
        // As a WebSocket client over HTTP/2 does: its side of the stream ends after the close.
        stream.end();
      },
      error: (e) => frames.push(`error:${e.code}`),
    },
    { maxPayload: Infinity, allowUnmasked: true, maxFragments: Infinity },
  );
  // Only an accepted stream carries frames; a refusal's body is not parsed.
  stream.on("data", (chunk: Buffer) => {
    if (status === 200) parser.push(new Uint8Array(chunk));
  });
  const ended = new Promise<void>((r) => stream.once("close", () => r()));
  return { stream, status, headers: response, frames, ended };
}

/**
 * A WebSocket stream that keeps the server's frames as they came ({@link ServerFrame}s, read as
 * the HTTP/1.1 {@link RawClient} reads them), for tests that compare both transports byte for
 * byte. It behaves as a WebSocket client on TCP does (RFC 6455 §7.1.1): it answers a close the
 * server starts with the same code, and ends its side of the stream only once the server has
 * ended its own. So a stream that closes with the client's side still open was reset by the
 * server ({@link RawStream.reset}), not ended.
 */
export class RawStream {
  readonly stream: ClientHttp2Stream;
  readonly status: number;
  readonly headers: Record<string, unknown>;
  readonly frames: ServerFrame[] = [];
  /** The stream has closed (both sides ended, or reset by either). */
  ended = false;
  /**
   * The stream closed while the client's side was open: a RST_STREAM from the server
   * (`conn.terminate()`, a close timeout), where a WebSocket client sees 1006. Node reports a
   * reset with NO_ERROR as `rstCode` 0, like a clean end, so this is how the two are told apart.
   */
  reset = false;
  /** The stream's RST_STREAM code once closed (0, NO_ERROR, after a clean end). */
  rstCode: number | undefined;
  #received: Buffer = Buffer.alloc(0);
  #closeSent = false;
  #waiters: (() => void)[] = [];

  private constructor(stream: ClientHttp2Stream, status: number, headers: Record<string, unknown>) {
    this.stream = stream;
    this.status = status;
    this.headers = headers;
    stream.on("data", (chunk: Buffer) => {
      if (status !== 200) return;
      this.#received = readServerFrames(Buffer.concat([this.#received, chunk]), this.frames);
      const close = this.frames.find((f) => f.opcode === 8);
      // The close frame carries the code to echo (an empty body is echoed empty).
      if (close && !this.#closeSent) this.write(clientFrame(8, close.payload.subarray(0, 2)));
      this.#wake();
    });
    // The server ended its side (or reset the stream, which ends it too): ours ends now.
    stream.once("end", () => {
      if (!stream.writableEnded) stream.end();
    });
    stream.once("close", () => {
      this.ended = true;
      this.reset = stream.aborted;
      this.rstCode = stream.rstCode;
      this.#wake();
    });
  }

  /** Opens `path` on `session` (to 127.0.0.1:`port`) as an extended CONNECT. */
  static async open(session: ClientHttp2Session, port: number, path: string, headers: Record<string, string> = {}): Promise<RawStream> {
    const stream = session.request(
      { ":method": "CONNECT", ":protocol": "websocket", ":path": path, ":scheme": "https", ":authority": `127.0.0.1:${port}`, "sec-websocket-version": "13", ...headers },
      { endStream: false },
    );
    stream.on("error", () => {});
    const [response] = (await once(stream, "response")) as [Record<string, unknown>];
    return new RawStream(stream, Number(response[":status"]), response);
  }

  /** Writes client bytes; a close frame among them (opcode 8 in a first byte) counts as the client's close. */
  write(data: Uint8Array): void {
    if (data.byteLength > 0 && (data[0]! & 0x0f) === 8) this.#closeSent = true;
    if (!this.stream.writableEnded && !this.stream.destroyed) this.stream.write(data);
  }

  /** The server's close frame, decoded (`1005` for an empty body), if one arrived. */
  get close(): { code: number; reason: string } | undefined {
    return closeOf(this.frames);
  }

  /** Waits until `check` holds (re-checked on every chunk received and at the close), or fails after `ms`. */
  until(check: () => boolean, ms = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("timed out waiting on the HTTP/2 stream")), ms);
      const test = () => {
        if (!check()) return false;
        clearTimeout(timer);
        resolve();
        return true;
      };
      if (test()) return;
      const waiter = () => {
        if (!test()) this.#waiters.push(waiter);
      };
      this.#waiters.push(waiter);
    });
  }

  /** Waits for the end of the stream; resolves with the server's close frame, if any. */
  async closed(ms = 5000): Promise<{ code: number; reason: string } | undefined> {
    await this.until(() => this.ended, ms);
    return this.close;
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }
}
