/**
 * End to end in a real browser: Debian's Chromium, driven by playwright-core, against the chat
 * demo served by Node. Two pages join one room, see each other's join, exchange messages, and
 * one sees the other leave, over a compressed connection (permessage-deflate). A screenshot is saved to test-artifacts/chat.png.
 *
 * Never skipped: without Chromium this fails and says how to install it (.ci/run does).
 */
import { existsSync, mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../../scripts/spawn_server.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const artifacts = resolve(import.meta.dirname, "../../test-artifacts");

let server: RunningServer;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  }
  server = await startServer("node", "examples/chat/server.ts", { args: ["--port", "0"], ready: /http:\/\/[^:]+:(\d+)\// });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // The machine has no network beyond loopback: keep Chromium from reaching out.
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

async function join(nick: string, room = "lobby"): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 720, height: 620 } })).newPage();
  await page.goto(`http://127.0.0.1:${server.port}/`);
  await page.fill("#nick", nick);
  await page.fill("#room", room);
  await page.click("#join button");
  // What a person sees: the message box, and no join form.
  await page.locator("#say").waitFor({ state: "visible", timeout: 10_000 });
  expect(await page.isVisible("#join")).toBe(false);
  return page;
}

async function say(page: Page, text: string): Promise<void> {
  await page.fill("#text", text);
  await page.click("#say button");
}

const logLine = (page: Page, text: string) => page.locator("#log li", { hasText: text }).first().waitFor({ timeout: 10_000 });

describe("chat demo in Chromium", () => {
  it("two people join a room, talk, and one leaves", async () => {
    const ann = await join("ann");
    await logLine(ann, "ann joined");
    const bob = await join("bob");
    await logLine(ann, "bob joined");
    await logLine(bob, "bob joined");
    expect(await ann.textContent("#where")).toBe("ann in #lobby (2 here)");
    expect(await bob.textContent("#where")).toBe("bob in #lobby (2 here)");
    expect(await ann.textContent("#served")).toBe(`served by node process ${server.child.pid}`);
    // Chromium offers permessage-deflate and the Node adapter takes it: the chat is compressed.
    expect(await ann.getAttribute("#served", "data-extensions")).toMatch(/^permessage-deflate/);
    // Bob joined after Ann: the history he was sent includes her join.
    expect(await bob.locator("#log li").allTextContents()).toContain("ann joined");

    await say(bob, "hi ann 👋");
    await logLine(ann, "bob: hi ann 👋");
    await say(ann, "hello bob");
    await logLine(bob, "ann: hello bob");

    await bob.context().close();
    await logLine(ann, "bob left");
    expect(await ann.locator("#log li").allTextContents()).toEqual([
      "ann joined",
      "bob joined",
      "bob: hi ann 👋",
      "ann: hello bob",
      "bob left",
    ]);
    expect(await ann.textContent("#where")).toBe("ann in #lobby (1 here)");

    mkdirSync(artifacts, { recursive: true });
    await ann.screenshot({ path: resolve(artifacts, "chat.png") });
    expect(existsSync(resolve(artifacts, "chat.png"))).toBe(true);
  });

  it("a nickname already in the room is refused (409 from onaccept)", async () => {
    const first = await join("carol", "den");
    const page = await (await browser.newContext()).newPage();
    await page.goto(`http://127.0.0.1:${server.port}/`);
    await page.fill("#nick", "carol");
    await page.fill("#room", "den");
    await page.click("#join button");
    await page.waitForFunction(() => document.getElementById("status")?.textContent?.startsWith("could not join"), undefined, {
      timeout: 10_000,
    });
    expect(await page.isVisible("#join")).toBe(true);
    expect(await page.isVisible("#say")).toBe(false);
    await first.context().close();
    await page.context().close();
  });

  it("a page that sends past the rate limit is told why it was disconnected", async () => {
    const page = await join("flo", "rapids");
    // Through the page's own form, faster than any person types: past the burst of 40.
    await page.evaluate(() => {
      const text = document.getElementById("text") as HTMLInputElement;
      const say = document.getElementById("say") as HTMLFormElement;
      for (let i = 0; i < 100; i++) {
        text.value = `line ${i}`;
        say.requestSubmit();
      }
    });
    await page.waitForFunction(() => document.getElementById("status")?.textContent === "Disconnected: Too many messages: slow down", undefined, {
      timeout: 10_000,
    });
    expect(await page.isVisible("#join")).toBe(true);
    expect(await page.isVisible("#say")).toBe(false);
    await page.context().close();
  });
});
