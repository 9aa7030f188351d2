/**
 * The recipe pages show the code the recipe tests run: every `<!-- quote: path -->` on a page is
 * followed by a code block equal to that file, every file in examples/recipes/ is quoted, and the
 * README links every page.
 */
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { source } from "./support.ts";

const pages = readdirSync(new URL("../../docs/recipes/", import.meta.url)).filter((name) => name.endsWith(".md"));
const QUOTE = /<!-- quote: (\S+) -->\n```[\w-]*\n([\s\S]*?)```\n/g;

describe("recipe pages", () => {
  it.each(pages)("docs/recipes/%s quotes its examples as they are", (page) => {
    const text = source(`docs/recipes/${page}`);
    const quotes = [...text.matchAll(QUOTE)];
    expect(quotes.length).toBeGreaterThan(0);
    expect(quotes.length).toBe(text.split("<!-- quote:").length - 1);
    for (const [, path, shown] of quotes) expect(shown, path).toBe(source(path!));
  });

  it("every example in examples/recipes/ is on a page, and the README links every page", () => {
    const quoted = new Set(pages.flatMap((page) => [...source(`docs/recipes/${page}`).matchAll(QUOTE)].map((m) => m[1])));
    const examples = readdirSync(new URL("../../examples/recipes/", import.meta.url)).map((name) => `examples/recipes/${name}`);
    expect(examples.filter((path) => !quoted.has(path))).toEqual([]);
    const readme = source("README.md");
    expect(pages.filter((page) => !readme.includes(`(docs/recipes/${page})`))).toEqual([]);
  });
});
