/**
 * The parser's life cycle as the Node adapter drives it: `stopped` after a close frame or an
 * error, nothing held once stopped (a client may go on sending after its close), and events
 * that never nest, whatever a handler does (push, pause, resume) from inside one.
 */
import { describe, expect, it } from "vitest";
import { FrameParser, type ParserEvents } from "../../src/protocol/frame_parser.ts";
import { clientFrame, closeBody } from "../support/raw_client.ts";
import { isCollected } from "./gc.ts";

const cat = (...parts: Uint8Array[]) => Uint8Array.from(Buffer.concat(parts));

function recorder(hooks: { onMessage?: (m: string) => void } = {}) {
  const out: string[] = [];
  let depth = 0;
  let deepest = 0;
  const enter = (entry: string, then?: () => void) => {
    depth++;
    deepest = Math.max(deepest, depth);
    out.push(entry);
    try {
      then?.();
    } finally {
      depth--;
    }
  };
  const events: ParserEvents = {
    message: (m) => enter(`text:${m as string}`, () => hooks.onMessage?.(m as string)),
    ping: () => enter("ping"),
    pong: () => enter("pong"),
    closeReceived: (code) => enter(`close:${code}`),
    error: (e) => enter(`error:${e.code}`),
  };
  const parser = new FrameParser(events, { maxPayload: Infinity, allowUnmasked: false, maxFragments: Infinity });
  return { parser, out, hooks, deepest: () => deepest };
}

describe("stopped", () => {
  it("is false while frames are read, true once a close frame arrives", () => {
    const { parser, out } = recorder();
    expect(parser.stopped).toBe(false);
    parser.push(cat(clientFrame(1, "a"), clientFrame(8, closeBody(1000))));
    expect(out).toEqual(["text:a", "close:1000"]);
    expect(parser.stopped).toBe(true);
  });

  it("is true after an error, and after stop()", () => {
    const failed = recorder();
    failed.parser.push(clientFrame(1, "x", { mask: false }));
    expect(failed.out).toEqual(["error:1002"]);
    expect(failed.parser.stopped).toBe(true);

    const stopped = recorder();
    stopped.parser.push(clientFrame(1, "a").subarray(0, 3));
    expect(stopped.parser.stopped).toBe(false);
    stopped.parser.stop();
    expect(stopped.parser.stopped).toBe(true);
  });
});

describe("a stopped parser holds no bytes", () => {
  /** A chunk of several frames, and a weak reference to the memory behind it. */
  function bigChunk(): { chunk: Uint8Array; ref: WeakRef<ArrayBuffer> } {
    const chunk = cat(...Array.from({ length: 16 }, () => clientFrame(2, new Uint8Array(64 * 1024))));
    return { chunk, ref: new WeakRef(chunk.buffer as ArrayBuffer) };
  }

  it("bytes a client sends after its close frame are dropped, not kept", async () => {
    const { parser, out } = recorder();
    parser.push(clientFrame(8, closeBody(1000)));
    const ref = (() => {
      const { chunk, ref } = bigChunk();
      parser.push(chunk);
      return ref;
    })();
    expect(await isCollected(ref)).toBe(true);
    expect(out).toEqual(["close:1000"]);
  });

  it("bytes kept while paused are released when the parser stops", async () => {
    const { parser, out } = recorder();
    parser.pause();
    const ref = (() => {
      const { chunk, ref } = bigChunk();
      parser.push(chunk);
      return ref;
    })();
    parser.stop();
    expect(await isCollected(ref)).toBe(true);
    parser.resume();
    expect(out).toEqual([]);
  });

  it("after stop, later chunks are ignored", () => {
    const { parser, out } = recorder();
    parser.stop();
    parser.push(clientFrame(1, "late"));
    parser.resume();
    expect(out).toEqual([]);
  });
});

describe("events never nest", () => {
  it("a chunk pushed from inside an event is read after that event returns, in order", () => {
    const r = recorder();
    r.hooks.onMessage = (m) => m === "a" && r.parser.push(clientFrame(1, "c"));
    r.parser.push(cat(clientFrame(1, "a"), clientFrame(9, ""), clientFrame(1, "b")));
    expect(r.out).toEqual(["text:a", "ping", "text:b", "text:c"]);
    expect(r.deepest()).toBe(1);
  });

  it("pause then resume from inside an event goes on after that event returns", () => {
    const r = recorder();
    r.hooks.onMessage = (m) => {
      if (m !== "a") return;
      r.parser.pause();
      r.parser.resume();
    };
    r.parser.push(cat(clientFrame(1, "a"), clientFrame(1, "b"), clientFrame(1, "c")));
    expect(r.out).toEqual(["text:a", "text:b", "text:c"]);
    expect(r.deepest()).toBe(1);
  });

  it("a resume from inside an event of a parser paused earlier does not read ahead of it", () => {
    const r = recorder();
    r.parser.push(clientFrame(1, "a").subarray(0, 4));
    r.parser.pause();
    r.hooks.onMessage = (m) => m === "a" && r.parser.resume();
    r.parser.push(cat(clientFrame(1, "a").subarray(4), clientFrame(1, "b")));
    expect(r.out).toEqual(["text:a", "text:b"]);
    expect(r.deepest()).toBe(1);
  });
});
