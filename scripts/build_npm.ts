/**
 * Builds the npm package into npm/ from the same .ts sources Deno imports directly, with tsc
 * (what @deno/dnt would do, which cannot be installed here): ESM .js with rewritten import
 * extensions, .d.ts types, a package.json with exports for ".", "./node", "./deno", "./bun",
 * "./redis" (whose `redis` client is an optional peer dependency).
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
  type: "module",
  sideEffects: false,
  engines: { node: ">=20" },
  keywords: ["websocket", "rfc6455", "crow", "deno", "bun", "node", "pubsub"],
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
  files: ["**/*.js", "**/*.d.ts", "README.md", "LICENSE"],
};
writeFileSync(join(out, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
for (const file of ["README.md", "LICENSE"]) cpSync(join(root, file), join(out, file));
console.log(`built ${manifest.name}@${manifest.version} into npm/`);
