/**
 * Builds the npm package into npm/ from the same .ts sources Deno imports directly, with tsc
 * (what @deno/dnt would do, which cannot be installed here): ESM .js with rewritten import
 * extensions, .d.ts types, a package.json with exports for ".", "./node", "./deno", "./bun",
 * "./redis" (whose `redis` client is an optional peer dependency), the npm README
 * (docs/npm-readme.md: written for npm users, unlike the development README), CHANGELOG.md and
 * LICENSE.
 *
 *   node scripts/build_npm.ts
 *
 * Each adapter is compiled against its own runtime's types in its own tsc pass (Node's, Bun's,
 * and the declarations `deno types` prints), so no pass mixes runtime globals.
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const out = join(root, "npm");
const bin = (name: string) => join(root, "node_modules/.bin", name);
const tmp = join(root, "npm-build-tmp");
/** The README the npm package ships (as README.md), relative to the repository root. */
const NPM_README = "docs/npm-readme.md";

const common = {
  target: "es2023",
  module: "nodenext",
  moduleResolution: "nodenext",
  strict: true,
  noUncheckedIndexedAccess: true,
  erasableSyntaxOnly: true,
  verbatimModuleSyntax: true,
  rewriteRelativeImportExtensions: true,
  declaration: true,
  skipLibCheck: true,
  rootDir: root,
  outDir: out,
};

/** One tsc pass: `files` compiled with `lib` and `types`. */
function compile(name: string, files: string[], lib: string[], types: string[]): void {
  const config = join(tmp, `tsconfig.${name}.json`);
  writeFileSync(config, JSON.stringify({ compilerOptions: { ...common, lib, types }, files: files.map((f) => resolve(root, f)) }, null, 2));
  execFileSync(bin("tsc"), ["-p", config], { stdio: "inherit" });
}

rmSync(out, { recursive: true, force: true });
rmSync(tmp, { recursive: true, force: true });
mkdirSync(tmp, { recursive: true });
try {
  compile("node", ["mod.ts", "adapters/node.ts", "adapters/redis.ts"], ["ES2024", "DOM", "DOM.Iterable"], ["node"]);
  compile("bun", ["adapters/bun.ts"], ["ESNext"], ["bun"]);
  writeFileSync(join(tmp, "deno.d.ts"), execFileSync(bin("deno"), ["types"], { encoding: "utf8" }));
  compile("deno", ["adapters/deno.ts", join(tmp, "deno.d.ts")], ["ES2024", "DOM", "DOM.Iterable"], []);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
rmSync(join(out, "npm-build-tmp"), { recursive: true, force: true });

const deno = JSON.parse(readFileSync(join(root, "deno.json"), "utf8")) as { version: string };
const entry = (path: string) => ({ types: `./${path}.d.ts`, default: `./${path}.js` });
const manifest = {
  name: "rookery",
  version: deno.version,
  description: "Crow-style WebSocket routes for Node, Deno and Bun: one core, thin adapters, the same behaviour everywhere.",
  license: "MIT",
  // LICENSE's copyright holder. No `repository`, `homepage` or `bugs`: the project has no public
  // URL yet (no git remote, none in the docs), and npm would show an invented one as a link.
  author: "The Rookery authors",
  type: "module",
  sideEffects: false,
  // What is tested: the whole suite, the packed package's consumer included, runs on Node 24 (the
  // `node@24` devDependency puts it first on every npm script's PATH; vitest 5 and undici 8 need
  // Node 22 or later anyway). No older Node runs any test, so none is claimed. Bun (1.4) is tested
  // too, but `engines` has no field npm checks for it; the README says which versions are tested.
  engines: { node: ">=24" },
  keywords: [
    "websocket",
    "websocket-server",
    "rfc6455",
    "crow",
    "node",
    "bun",
    "deno",
    "permessage-deflate",
    "compression",
    "pubsub",
    "redis",
    "typescript",
  ],
  exports: {
    ".": entry("mod"),
    "./node": entry("adapters/node"),
    "./deno": entry("adapters/deno"),
    "./bun": entry("adapters/bun"),
    "./redis": entry("adapters/redis"),
    "./package.json": "./package.json",
  },
  // Only `rookery/redis` loads it; the core and the runtime adapters have no dependency.
  // Only node-redis 6 is tested (its pub/sub listener semantics are version-specific).
  peerDependencies: { redis: "^6.0.0" },
  peerDependenciesMeta: { redis: { optional: true } },
  types: "./mod.d.ts",
  files: ["**/*.js", "**/*.d.ts", "README.md", "CHANGELOG.md", "LICENSE"],
};
writeFileSync(join(out, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
// The repository's README.md is for working on Rookery (npm start, npm test, images); npm users
// get their own, which links nothing outside the package.
cpSync(join(root, NPM_README), join(out, "README.md"));
for (const file of ["CHANGELOG.md", "LICENSE"]) cpSync(join(root, file), join(out, file));
console.log(`built ${manifest.name}@${manifest.version} into npm/`);
