/**
 * The API reference: `deno doc --html` over every entry point, into docs/api (or the directory
 * given). Deno links each symbol to its source as an absolute file: URL of this checkout; those
 * links are rewritten relative to docs/api, so the pages are the same in every clone and their
 * source links work from the repository.
 *
 *   npm run docs:api            (writes docs/api)
 *   node scripts/api_docs.ts DIR
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";

const root = resolve(import.meta.dirname, "..");
const ENTRY_POINTS = ["mod.ts", "adapters/node.ts", "adapters/deno.ts", "adapters/bun.ts", "adapters/redis.ts"];

/** How deno doc writes `/` inside attributes. */
const escapeSlashes = (s: string) => s.replaceAll("/", "&#x2F;");

function htmlFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".html"));
}

export function writeApiDocs(out: string): void {
  execFileSync(join(root, "node_modules/.bin/deno"), ["doc", "--html", "--name=Rookery", `--output=${out}`, ...ENTRY_POINTS], {
    cwd: root,
    stdio: "ignore",
  });
  const prefix = escapeSlashes(`${pathToFileURL(root).href}/`);
  for (const file of htmlFiles(out)) {
    const path = join(out, file);
    const html = readFileSync(path, "utf8");
    if (!html.includes(prefix)) continue;
    // From docs/api/<file>'s directory back up to the repository root.
    const up = relative(join(root, "docs/api", file, ".."), root).split(sep).join("/");
    writeFileSync(path, html.replaceAll(prefix, escapeSlashes(`${up}/`)));
  }
}

if (import.meta.main) writeApiDocs(resolve(process.argv[2] ?? join(root, "docs/api")));
