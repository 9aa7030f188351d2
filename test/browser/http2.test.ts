/**
 * Chromium and WebSockets over HTTP/2 (RFC 8441), against `serve(app, { tls, http2: true })`:
 * after a page loads over HTTP/2, `new WebSocket()` to the same origin arrives as an extended
 * CONNECT stream of that connection; with no HTTP/2 connection open yet, Chromium upgrades over
 * HTTP/1.1 on the same port. The server's own events say which it was. The certificate is made
 * for this run; Chromium is told to accept it.
 */
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serve, type ServerHandle } from "../../adapters/node.ts";
import { Rookery } from "../../mod.ts";
import { type RunningServer, startServer } from "../../scripts/spawn_server.ts";
import { type Certificate, selfSignedCertificate } from "../support/certificate.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

let certificate: Certificate;
let handle: ServerHandle;
let browser: Browser;
/** What arrived at the server: extended CONNECT streams and HTTP/1.1 upgrades, by path. */
const arrived: string[] = [];

beforeAll(async () => {
  certificate = selfSignedCertificate();
  const app = new Rookery({ logger: () => {} });
  app.ws("/echo").onmessage((conn, message) => void conn.send(`echo:${message as string}`));
  handle = await serve(app, {
    hostname: "127.0.0.1",
    tls: { cert: certificate.cert, key: certificate.key },
    http2: true,
    fetch: () => new Response("<!doctype html><title>h2</title><p>page", { headers: { "content-type": "text/html" } }),
  });
  handle.server.on("stream", (_stream: unknown, headers: Record<string, string>) => {
    if (headers[":method"] === "CONNECT") arrived.push(`h2 ${headers[":protocol"]} ${headers[":path"]}`);
  });
  handle.server.on("upgrade", (req: { url: string }) => void arrived.push(`h1 ${req.url}`));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // The certificate is this run's own; the machine has no network beyond loopback.
    args: ["--ignore-certificate-errors", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking"],
  });
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await handle?.close();
  certificate?.remove();
});

/** Opens a WebSocket from the page, sends one message and resolves with the reply. */
function echoFromPage(url: string): string {
  return `new Promise((resolve, reject) => {
    const ws = new WebSocket(${JSON.stringify(url)});
    ws.onopen = () => ws.send("hi");
    ws.onmessage = (e) => { resolve(String(e.data)); ws.close(); };
    ws.onerror = () => reject(new Error("WebSocket failed"));
  })`;
}

describe("Chromium over HTTP/2", () => {
  it("after a page loaded over HTTP/2, its WebSocket arrives as an extended CONNECT stream of that connection", async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`https://127.0.0.1:${handle.port}/`);
    expect(await page.evaluate(() => (performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming).nextHopProtocol)).toBe("h2");
    arrived.length = 0;
    expect(await page.evaluate(echoFromPage(`wss://127.0.0.1:${handle.port}/echo`))).toBe("echo:hi");
    expect(arrived).toEqual(["h2 websocket /echo"]);
    await page.context().close();
  });

  it("with no HTTP/2 connection open yet, the WebSocket upgrades over HTTP/1.1 on the same port", async () => {
    const page = await (await browser.newContext()).newPage();
    arrived.length = 0;
    expect(await page.evaluate(echoFromPage(`wss://127.0.0.1:${handle.port}/echo`))).toBe("echo:hi");
    expect(arrived).toEqual(["h1 /echo"]);
    await page.context().close();
  });
});

describe("the chat demo over HTTP/2", () => {
  let chat: RunningServer;
  beforeAll(async () => {
    chat = await startServer("node", "examples/chat/server.ts", {
      args: ["--port", "0", "--stats", "--tls-cert", certificate.certFile, "--tls-key", certificate.keyFile, "--http2"],
      ready: /https:\/\/[^:]+:(\d+)\//,
    });
  }, 30_000);
  afterAll(() => chat?.stop());

  it("the page's WebSocket is a stream of the page's HTTP/2 connection, and the chat works over it", async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`https://127.0.0.1:${chat.port}/`);
    expect(await page.evaluate(() => (performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming).nextHopProtocol)).toBe("h2");
    await page.fill("#nick", "ann");
    await page.fill("#room", "h2");
    await page.click("#join button");
    await page.locator("#say").waitFor({ state: "visible", timeout: 10_000 });
    // The server counts the chat sockets that arrived as HTTP/2 streams.
    const stats = (await page.evaluate(() => fetch("/stats").then((r) => r.json()))) as { http2: number; rooms: number };
    expect(stats).toMatchObject({ http2: 1, rooms: 1 });
    await page.context().close();
  });
});

