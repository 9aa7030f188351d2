/**
 * What compressed connections cost on the Node adapter, measured in a server process of its own
 * (the bench's Rookery server with `--deflate`), so the figures are that server's and nothing of
 * the test runner's: zlib contexts are made on first use only, and closing connections gives
 * their memory back.
 *
 * zlib's contexts are native memory (a deflate context with 15-bit windows and memLevel 8 is
 * about 256 KiB, an inflate one about 40 KiB), seen in RSS; each node:zlib stream also holds a
 * 16 KiB output buffer, seen in arrayBuffers, which the allocator does not blur as it does RSS:
 * the tight bounds use it. RSS bounds are loose: the allocator keeps some freed memory, and how much
 * varies from run to run. Each test first checks that its connections did cost what contexts
 * cost, so a bound that holds because nothing was measured cannot pass.
 */
import { afterEach, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../../scripts/spawn_server.ts";
import { chatMessages, compressedFrames, DEFLATE_OFFER } from "../../scripts/bench/chat_json.ts";
import { type Memory, serverMemory } from "../../scripts/bench/deflate.ts";
import { type Client, frame, openMany, sleep } from "../../scripts/bench/raw_ws.ts";

const SERVER = "scripts/bench/servers/rookery.ts";
const CONNECTIONS = 200;
const KIB = 1024;
const MESSAGES = chatMessages(16);
const COMPRESSED = compressedFrames(MESSAGES);
const PING = frame(9, new Uint8Array(0));
const CLOSE = frame(8, Uint8Array.of(0x03, 0xe8));

let server: RunningServer | undefined;
let clients: Client[] = [];
afterEach(async () => {
  for (const c of clients) c.socket.destroy();
  clients = [];
  await server?.stop();
  server = undefined;
});

async function start(): Promise<RunningServer> {
  server = await startServer("node", SERVER, { args: ["--deflate", "--keep-bytecode"], exposeGc: true });
  return server;
}

/** Opens the connections, each with permessage-deflate agreed. */
async function open(port: number, path: string): Promise<Client[]> {
  clients = await openMany([port], path, CONNECTIONS, 100, DEFLATE_OFFER);
  expect(clients.filter((c) => !c.extensions.startsWith("permessage-deflate"))).toHaveLength(0);
  return clients;
}

/** Waits (bounded) until every client has `n` frames from the server. */
async function frames(n: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (clients.some((c) => c.frames < n) && Date.now() < deadline) await sleep(5);
  expect(clients.filter((c) => c.frames < n)).toHaveLength(0);
}

const perConnection = (from: Memory, to: Memory) => ({
  rss: (to.rss - from.rss) / CONNECTIONS,
  arrayBuffers: (to.arrayBuffers - from.arrayBuffers) / CONNECTIONS,
});

describe("permessage-deflate on Node: memory", () => {
  it(
    "connections that agree on compression but never send a compressed message make no zlib context",
    async () => {
      const s = await start();
      const before = await serverMemory(s);
      // /sub never answers a message: an uncompressed message in, nothing out, and a ping whose
      // pong says the server has read everything before it.
      await open(s.port, "/sub");
      for (const c of clients) c.socket.write(Buffer.concat([frame(1, Buffer.from(MESSAGES[0]!)), PING]));
      await frames(1);
      const silent = perConnection(before, await serverMemory(s));
      expect(clients.reduce((n, c) => n + c.compressed, 0)).toBe(0);
      expect(silent.arrayBuffers).toBeLessThan(4 * KIB);
      expect(silent.rss).toBeLessThan(100 * KIB);

      // The control: one compressed message in makes an inflate context on every connection.
      for (const [i, c] of clients.entries()) c.socket.write(Buffer.concat([COMPRESSED[i % COMPRESSED.length]!, PING]));
      await frames(2);
      const inflating = perConnection(before, await serverMemory(s));
      expect(inflating.arrayBuffers - silent.arrayBuffers).toBeGreaterThan(12 * KIB);
    },
    60_000,
  );

  it(
    "closing compressed connections, cleanly or not, gives back their zlib contexts, round after round",
    async () => {
      const s = await start();
      const before = await serverMemory(s);
      let first: ReturnType<typeof perConnection> | undefined;
      for (let round = 0; round < 2; round++) {
        await open(s.port, "/echo");
        for (const [i, c] of clients.entries()) {
          for (let k = 0; k < 3; k++) c.socket.write(COMPRESSED[(i + k) % COMPRESSED.length]!);
        }
        await frames(3);
        expect(clients.reduce((n, c) => n + c.compressed, 0)).toBe(3 * CONNECTIONS);
        const idle = perConnection(before, await serverMemory(s));
        first ??= idle;
        // Both contexts of every connection are there: what the bounds below must give back.
        expect(idle.arrayBuffers).toBeGreaterThan(24 * KIB);
        expect(idle.rss).toBeGreaterThan(150 * KIB);

        // Half close with the closing handshake, half just drop the TCP connection.
        await Promise.all(
          clients.map((c, i) => {
            const closed = new Promise((resolve) => c.socket.once("close", resolve));
            if (i % 2 === 0) c.socket.end(CLOSE);
            else c.socket.destroy();
            return closed;
          }),
        );
        clients = [];
        // The server sees the dropped ones go on its own time; its next collection counts them.
        await sleep(500);
        const after = perConnection(before, await serverMemory(s));
        expect(after.arrayBuffers).toBeLessThan(2 * KIB);
        // The allocator keeps up to half of what was freed on some runs; contexts kept would
        // keep all of it, and a second round would add as much again.
        expect(after.rss).toBeLessThan(0.75 * first.rss);
      }
    },
    60_000,
  );
});
