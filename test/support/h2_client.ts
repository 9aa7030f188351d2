/**
 * A WebSocket over HTTP/2 (RFC 8441) from node:http2's client, for tests: an extended CONNECT on
 * a session that has seen the server's SETTINGS, then the server's frames read back with
 * Rookery's parser in lax mode (server frames are unmasked). The test writes frames itself
 * (`clientFrame`), so it can also write broken ones.
 */
import { once } from "node:events";
import type { ClientHttp2Session, ClientHttp2Stream } from "node:http2";
import { FrameParser } from "../../src/protocol/frame_parser.ts";

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
