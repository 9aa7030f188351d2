/**
 * docs/recipes/reverse-proxy.md: Debian's nginx (installed by .ci/run) runs
 * examples/recipes/nginx.conf, with this test's ports, in front of
 * examples/recipes/behind_proxy.ts on Node.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent } from "undici";
import WebSocketClient from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../../scripts/spawn_server.ts";
import { connect, refusedWith, source } from "./support.ts";

const NGINX = "/usr/sbin/nginx";
const script = "examples/recipes/behind_proxy.ts";

interface Proxy {
  port: number;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** Whether something accepts connections on `port` within 5 s, polling every 20 ms. */
async function accepting(port: number, gone: () => boolean): Promise<boolean> {
  for (let i = 0; i < 250 && !gone(); i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.end();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

/** `text` with its single `from` replaced, so an edit of nginx.conf cannot silently miss. */
function replaceOnce(text: string, from: string, to: string): string {
  const parts = text.split(from);
  if (parts.length !== 2) throw new Error(`expected exactly one "${from}" in nginx.conf`);
  return parts.join(to);
}

/**
 * nginx in the foreground with the recipe's config, on a free port in front of `upstream`.
 * `edit` changes the recipe's lines first (a shorter timeout, lines left out). The port is
 * found free then handed to nginx, so a race with another process is retried, twice at most.
 */
async function startNginx(upstream: number, edit: (conf: string) => string = (conf) => conf): Promise<Proxy> {
  let log = "";
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), "rookery-nginx-"));
    let site = replaceOnce(source("examples/recipes/nginx.conf"), "listen 80;", `listen 127.0.0.1:${port};`);
    site = edit(replaceOnce(site, "server 127.0.0.1:8080;", `server 127.0.0.1:${upstream};`));
    // One process, no daemon, every file in the temporary directory: nothing of the system's nginx is touched.
    const conf = [
      "daemon off;",
      "master_process off;",
      `pid ${dir}/nginx.pid;`,
      "events { worker_connections 64; }",
      "http {",
      "access_log off;",
      `client_body_temp_path ${dir}/body;`,
      `proxy_temp_path ${dir}/proxy;`,
      site,
      "}",
    ].join("\n");
    writeFileSync(join(dir, "nginx.conf"), conf);
    const child = spawn(NGINX, ["-p", dir, "-c", join(dir, "nginx.conf"), "-e", "stderr"], { stdio: ["ignore", "ignore", "pipe"] });
    child.stderr.on("data", (d: Buffer) => (log += d.toString()));
    let exited = false;
    const exit = new Promise<void>((r) =>
      child.once("exit", () => {
        exited = true;
        r();
      })
    );
    if (await accepting(port, () => exited)) {
      return {
        port,
        async stop() {
          if (!exited) child.kill("SIGTERM");
          const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
          await exit;
          clearTimeout(timer);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    if (!exited) child.kill("SIGKILL");
    await exit;
    rmSync(dir, { recursive: true, force: true });
    if (!log.includes("Address already in use")) break;
  }
  throw new Error(`nginx did not start:\n${log}`);
}

describe("recipe: Rookery behind nginx", () => {
  let app: RunningServer;
  let proxy: Proxy;
  // Connects from another loopback address, as a client elsewhere would.
  const elsewhere = new Agent({ localAddress: "127.0.0.2" });
  beforeAll(async () => {
    app = await startServer("node", script);
    proxy = await startNginx(app.port);
  });
  afterAll(async () => {
    await proxy?.stop();
    await app?.stop();
    await elsewhere.close();
  });

  it("the WebSocket echoes through nginx, and the app's HTTP route answers through it", async () => {
    const client = await connect(`ws://127.0.0.1:${proxy.port}/ws`);
    expect(await client.next()).toBe("hello 127.0.0.1");
    client.ws.send("through nginx");
    client.ws.send(new Uint8Array(100_000));
    expect(await client.next()).toBe("through nginx");
    expect(await client.next()).toBe("bytes:100000");
    client.ws.close(1000, "bye");
    expect(await client.closed).toEqual([1000, "bye"]);
    const page = await fetch(`http://127.0.0.1:${proxy.port}/hello`);
    expect(await page.json()).toEqual({ hello: "from behind the proxy", proto: "http" });
  });

  it("the client's address is nginx's X-Forwarded-For entry; entries the client forged, or a header from a peer that is not the proxy, are ignored", async () => {
    const forged = { "x-forwarded-for": "203.0.113.9" };
    // Through nginx, the peer is nginx (127.0.0.1) and the address it appended is the client's.
    const proxied = await connect(`ws://127.0.0.1:${proxy.port}/ws`, { dispatcher: elsewhere, headers: forged });
    expect(await proxied.next()).toBe("hello 127.0.0.2");
    proxied.ws.close();
    // Straight to the app, the peer is no trusted proxy: its header says nothing.
    const direct = await connect(`ws://127.0.0.1:${app.port}/ws`, { dispatcher: elsewhere, headers: forged });
    expect(await direct.next()).toBe("hello 127.0.0.2");
    direct.ws.close();
  });

  it("without the Upgrade and Connection lines, nginx sends the handshake on as a plain GET: Rookery answers 426", async () => {
    const bare = await startNginx(app.port, (conf) =>
      replaceOnce(replaceOnce(conf, "proxy_set_header Upgrade $http_upgrade;", ""), "proxy_set_header Connection $connection_upgrade;", ""));
    try {
      expect(await refusedWith(`ws://127.0.0.1:${bare.port}/ws`)).toBe(426);
    } finally {
      await bare.stop();
    }
  });

  it("a silent client stays connected while idleTimeout is below nginx's read timeout, and is dropped by nginx when it is not", async () => {
    const shortTimeout = (conf: string) => replaceOnce(conf, "proxy_read_timeout 75s;", "proxy_read_timeout 3s;");
    const pinging = await startServer("node", script, { args: ["--idle-timeout", "1"] });
    const [below, above] = await Promise.all([startNginx(pinging.port, shortTimeout), startNginx(app.port, shortTimeout)]);
    try {
      const [kept, dropped] = await Promise.all([connect(`ws://127.0.0.1:${below.port}/ws`), connect(`ws://127.0.0.1:${above.port}/ws`)]);
      const started = Date.now();
      let droppedAfter = 0;
      void dropped.closed.then(() => (droppedAfter = Date.now() - started));
      await new Promise((r) => setTimeout(r, 4500));
      // Rookery pinged the silent client every 2 s or so; undici answered each ping by itself.
      expect(kept.ws.readyState).toBe(WebSocketClient.OPEN);
      kept.ws.send("still here");
      expect(await kept.next()).toBe("hello 127.0.0.1");
      expect(await kept.next()).toBe("still here");
      kept.ws.close();
      // The app's idleTimeout is 50 s: nothing came from it for 3 s, so nginx ended the connection.
      expect((await dropped.closed)[0]).toBe(1006);
      expect(droppedAfter).toBeGreaterThan(2500);
    } finally {
      await below.stop();
      await above.stop();
      await pinging.stop();
    }
  });
});
