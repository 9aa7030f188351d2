/**
 * End to end in a real browser: Debian's Chromium, driven by playwright-core, against the chat
 * demo served by Node. Two pages join one room, see each other's join, exchange messages, and
 * one sees the other leave, over a compressed connection (permessage-deflate). A refused join
 * shows the server's reason; a long word wraps inside the card and a line shows its time; a
 * page whose server restarts reconnects to the same room, while a join that never reached the
 * server says it could not join. Screenshots are saved to test-artifacts/chat*.png.
 *
 * Never skipped: without Chromium this fails and says how to install it (.ci/run does).
 */
import { existsSync, mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TAKEN } from "../../examples/chat/rooms.ts";
import { type RunningServer, startServer } from "../../scripts/spawn_server.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const artifacts = resolve(import.meta.dirname, "../../test-artifacts");

let server: RunningServer;
let browser: Browser;

/** The chat server on `port` (0: a free one); the restart test starts a second one on the first one's port. */
const startChat = (port: number) =>
  startServer("node", "examples/chat/server.ts", { args: ["--port", String(port)], ready: /http:\/\/[^:]+:(\d+)\// });

/** A fresh page with the chat loaded and the join form filled, not yet submitted. */
async function openForm(nick: string, room: string): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 720, height: 620 } })).newPage();
  await page.goto(`http://127.0.0.1:${server.port}/`);
  await page.fill("#nick", nick);
  await page.fill("#room", room);
  return page;
}

const status = (page: Page) => page.locator("#status");

/** Waits (bounded) until the status line is in `state` and its text is `text` (or matches it). */
async function statusIs(page: Page, state: string, text: RegExp | string, timeout = 10_000): Promise<string> {
  // A RegExp does not cross into the page: send its source and flags, or the exact text.
  const want = typeof text === "string" ? { exact: text } : { source: text.source, flags: text.flags };
  await page.waitForFunction(
    ({ state, want }) => {
      const el = document.getElementById("status")!;
      const shown = el.textContent ?? "";
      return el.dataset.state === state && (want.exact !== undefined ? shown === want.exact : new RegExp(want.source!, want.flags).test(shown));
    },
    { state, want: want as { exact?: string; source?: string; flags?: string } },
    { timeout },
  );
  return (await status(page).textContent()) ?? "";
}

async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: resolve(artifacts, name) });
  expect(existsSync(resolve(artifacts, name))).toBe(true);
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  }
  server = await startChat(0);
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

  it("a nickname already in the room is refused, and the page shows the server's reason", async () => {
    const first = await join("carol", "den");
    const page = await openForm("carol", "den");
    await page.click("#join button");
    // The server's own text (rooms.ts TAKEN), not a bare 1006: the page asked for refusals as a close.
    expect(await statusIs(page, "refused", `could not join: ${TAKEN.trim()}`)).toBe("could not join: That nickname is taken in this room");
    expect(await page.isVisible("#join")).toBe(true);
    expect(await page.isVisible("#say")).toBe(false);
    await screenshot(page, "chat-refused.png");
    // The refused attempt took nothing from the room: carol is still there, alone.
    expect(await first.textContent("#where")).toBe("carol in #den (1 here)");
    // Another nickname gets in from the same form.
    await page.fill("#nick", "carla");
    await page.click("#join button");
    await page.locator("#say").waitFor({ state: "visible", timeout: 10_000 });
    await logLine(first, "carla joined");
    await first.context().close();
    await page.context().close();
  }, 30_000);

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

  it("a long word wraps inside the card, and a message shows its time as hh:mm", async () => {
    const page = await join("gus", "wide");
    const word = "w".repeat(300);
    const before = Date.now();
    await say(page, word);
    await logLine(page, `gus: ${word}`);
    const after = Date.now();

    const li = page.locator("#log li", { hasText: word });
    const sizes = await li.evaluate((el) => {
      const box = (e: Element) => ({ scroll: e.scrollWidth, client: e.clientWidth });
      return { line: box(el), text: box(el.querySelector(".text")!), log: box(document.getElementById("log")!), card: box(document.querySelector("main")!), height: el.getBoundingClientRect().height };
    });
    for (const box of [sizes.line, sizes.text, sizes.log, sizes.card]) expect(box.scroll).toBeLessThanOrEqual(box.client);
    // Wrapped, not cut off: 300 letters take several lines of the 640 px card.
    expect(sizes.height).toBeGreaterThan(50);

    // The time comes from the event's `at`, shown as the page's local hh:mm, small and apart from the text.
    const shown = await li.locator("time").evaluate((el, [before, after]) => {
      const hhmm = (at: number) => {
        const d = new Date(at);
        return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
      };
      const at = Date.parse(el.getAttribute("datetime")!);
      return {
        at,
        content: getComputedStyle(el, "::before").content,
        expected: hhmm(at),
        // The minutes the clock could show, given the second of slack allowed below.
        window: [hhmm(before - 1000), hhmm(after + 1000)],
        smaller: parseFloat(getComputedStyle(el).fontSize) < parseFloat(getComputedStyle(el.parentElement!).fontSize),
      };
    }, [before, after] as const);
    expect(shown.at).toBeGreaterThanOrEqual(before - 1000);
    expect(shown.at).toBeLessThanOrEqual(after + 1000);
    expect(shown.expected).toMatch(/^\d\d:\d\d$/);
    expect(shown.window).toContain(shown.expected);
    expect(shown.content).toBe(`"${shown.expected}"`);
    expect(shown.smaller).toBe(true);
    await screenshot(page, "chat-wrap.png");
    await page.context().close();
  }, 30_000);

  // Last: it replaces the server the other tests use.
  it("after a server restart the page reconnects to the same room; a join made while it is down could not join", async () => {
    const port = server.port;
    const dan = await join("dan", "harbor");
    await say(dan, "before the restart");
    await logLine(dan, "dan: before the restart");
    // Loaded while the server is up, submitted while it is down: that is a failed join, not a lost connection.
    const eve = await openForm("eve", "harbor");

    // Every status the page shows from here on: the first one may last only the first backoff
    // (0.25-0.5 s), too short to count on catching it by polling.
    await dan.evaluate(() => {
      const el = document.getElementById("status")!;
      const seen: string[] = [];
      (window as unknown as { statuses: string[] }).statuses = seen;
      new MutationObserver(() => seen.push(`${el.dataset.state}: ${el.textContent}`)).observe(el, { attributes: true, childList: true, characterData: true, subtree: true });
    });
    await server.stop();
    await statusIs(dan, "reconnecting", /reconnecting in \d+ s…$/);
    const statuses = await dan.evaluate(() => (window as unknown as { statuses: string[] }).statuses);
    // The server said goodbye (1001 "server shutting down") and the page says so, then counts down.
    expect(statuses).toContainEqual(expect.stringMatching(/^reconnecting: Connection lost \(server shutting down\): reconnecting in \d+ s…$/));
    // Still in the room as far as the person is concerned: the log stays, sending waits.
    expect(await dan.isVisible("#say")).toBe(true);
    expect(await dan.isDisabled("#text")).toBe(true);
    await logLine(dan, "connection lost");
    await screenshot(dan, "chat-reconnecting.png");

    await eve.click("#join button");
    await statusIs(eve, "failed", /^could not join: no answer from the server/);
    expect(await eve.isVisible("#join")).toBe(true);

    // A new process on the same port: the page comes back by itself, same nickname, same room.
    server = await startChat(port);
    expect(server.port).toBe(port);
    // Bounded by the backoff's 8 s ceiling (the page may be mid-wait when the server is back), plus slack.
    await dan.locator("#log li", { hasText: "back in #harbor" }).waitFor({ timeout: 20_000 });
    await statusIs(dan, "back", "Back in #harbor");
    expect(await dan.textContent("#where")).toBe("dan in #harbor (1 here)");
    expect(await dan.textContent("#served")).toBe(`served by node process ${server.child.pid}`);
    expect(await dan.isEnabled("#text")).toBe(true);
    await say(dan, "after the restart");
    await logLine(dan, "dan: after the restart");
    // What was said before the drop is still on the page, once.
    const lines = await dan.locator("#log li").allTextContents();
    expect(lines.filter((l) => l === "dan: before the restart")).toHaveLength(1);
    await screenshot(dan, "chat-back.png");

    // Eve, who never got in, was not put on the reconnect path: she joins when she asks again.
    expect(await status(eve).getAttribute("data-state")).toBe("failed");
    await eve.click("#join button");
    await logLine(dan, "eve joined");

    // A deliberate leave is final: no reconnect.
    await dan.click("#leave");
    await statusIs(dan, "left", "You left #harbor");
    await logLine(eve, "dan left");
    await dan.waitForTimeout(1500);
    expect(await status(dan).getAttribute("data-state")).toBe("left");
    expect(await dan.isVisible("#join")).toBe(true);
    await dan.context().close();
    await eve.context().close();
  }, 60_000);
});
