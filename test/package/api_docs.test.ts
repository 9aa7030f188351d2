/**
 * The API reference in docs/api is what `deno doc --html` makes of the TSDoc today: regenerated
 * into a temporary directory and compared file by file, so a changed doc comment without
 * `npm run docs:api` fails here.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeApiDocs } from "../../scripts/api_docs.ts";

const root = resolve(import.meta.dirname, "../..");
const committed = join(root, "docs/api");
const fresh = mkdtempSync(join(tmpdir(), "rookery-api-"));
afterAll(() => rmSync(fresh, { recursive: true, force: true }));

function files(dir: string, under = ""): string[] {
  return readdirSync(join(dir, under), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(dir, join(under, e.name)) : [join(under, e.name)]
  ).sort();
}

describe("docs/api, the generated API reference", () => {
  it("is up to date with the TSDoc of every entry point (npm run docs:api)", () => {
    writeApiDocs(fresh);
    const names = files(fresh);
    expect(files(committed)).toEqual(names);
    const stale = names.filter((f) => !readFileSync(join(fresh, f)).equals(readFileSync(join(committed, f))));
    expect(stale).toEqual([]);
    // No link into the checkout it was made in: the pages are the same in every clone.
    expect(names.filter((f) => readFileSync(join(fresh, f), "utf8").includes("file:&#x2F;&#x2F;&#x2F;"))).toEqual([]);
    // The pages a reader starts from.
    expect(names).toEqual(expect.arrayContaining(["index.html", join("node", "index.html"), join("bun", "index.html")]));
  });
});
