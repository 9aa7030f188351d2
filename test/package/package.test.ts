/**
 * The npm package as users get it: built with `npm run build`, checked with publint and attw,
 * packed (the tarball's own README, changelog and metadata checked), installed from the tarball
 * into a fresh consumer project, and used from Node, Bun, tsc and (through deno.json exports) Deno.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedis } from "../../scripts/redis_server.ts";

const root = resolve(import.meta.dirname, "../..");
const bin = (name: string) => join(root, "node_modules/.bin", name);
let dir: string;
let tarball: string;

function run(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 120_000 });
}

const echoRoundTrip = (adapter: string) => `
import { Rookery, type Connection } from "rookery";
import { serve } from "rookery/${adapter}";
const app = new Rookery();
app.ws("/echo").onaccept(() => ({ data: { n: 1 } })).onmessage((conn, m) => void conn.send(\`\${m as string}:\${conn.data.n}\`));
const server = await serve(app, { port: 0, hostname: "127.0.0.1" });
const ws = new WebSocket(\`ws://127.0.0.1:\${server.port}/echo\`);
await new Promise((r, j) => { ws.onopen = r; ws.onerror = j; });
const reply = new Promise((r) => (ws.onmessage = (e) => r(e.data)));
ws.send("ping");
console.log(\`REPLY \${await reply}\`);
ws.close();
await server.close();
const _typed: Connection<{ n: number }> | undefined = undefined;
void _typed;
`;

// The consumer installs the same redis client version the workspace tests with. `--prefer-offline`
// takes it from npm's cache when an earlier install put it there and from the registry otherwise:
// `npm ci` caches only tarballs, not the packument a fresh `npm install` resolves from, so
// `--offline` failed on every new machine (ENOTCACHED).
const redisVersion = (JSON.parse(execFileSync("npm", ["pkg", "get", "devDependencies.redis"], { cwd: root, encoding: "utf8" })) as string);

beforeAll(() => {
  run(process.execPath, [join(root, "scripts/build_npm.ts")], root);
  dir = mkdtempSync(join(tmpdir(), "rookery-consumer-"));
  run("npm", ["pack", "--pack-destination", dir, "--silent"], join(root, "npm"));
  tarball = readdirSync(dir).find((f) => f.endsWith(".tgz"))!;
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module", dependencies: { rookery: `file:./${tarball}`, redis: redisVersion } }));
  run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--silent"], dir);
}, 180_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the npm package", () => {
  it("publint finds nothing", () => {
    expect(run(bin("publint"), [], join(root, "npm"))).toContain("All good");
  });

  it("attw: types resolve for ESM under node16 and bundler resolution", () => {
    // Exits non-zero on any problem for the ESM-only profile.
    expect(() => run(bin("attw"), ["--pack", ".", "--profile", "esm-only"], join(root, "npm"))).not.toThrow();
  });

  // Issue 17: the tarball holds the README written for npm users (docs/npm-readme.md), not the
  // development one, plus the changelog, the license and the registry metadata.
  it("the packed tarball ships the npm README, CHANGELOG.md, LICENSE and full metadata", () => {
    const fromTarball = (file: string) => run("tar", ["-xzOf", tarball, `package/${file}`], dir);
    const listed = run("tar", ["-tzf", tarball], dir).split("\n");
    for (const file of ["README.md", "CHANGELOG.md", "LICENSE", "package.json"]) expect(listed).toContain(`package/${file}`);

    const readme = fromTarball("README.md");
    const npmReadme = readFileSync(join(root, "docs/npm-readme.md"), "utf8");
    expect(readme).toBe(npmReadme);
    expect(readme).not.toContain("npm install && npm start");
    expect(readme).not.toBe(readFileSync(join(root, "README.md"), "utf8"));
    // Nothing the package does not hold: no images, no links to repository files.
    expect(readme).not.toMatch(/!\[[^\]]*\]\(/);
    expect(readme).not.toMatch(/\]\((?!https?:)[^)]*\)/);
    expect(readme).toContain("npm install rookery");

    expect(fromTarball("CHANGELOG.md")).toMatch(/^## 0\.1\.0\b/m);
    expect(fromTarball("LICENSE")).toContain("MIT License");

    const manifest = JSON.parse(fromTarball("package.json")) as Record<string, unknown>;
    expect(manifest.license).toBe("MIT");
    expect(manifest.description).toEqual(expect.any(String));
    expect(manifest.engines).toEqual({ node: ">=24" });
    expect(manifest.keywords).toEqual(expect.arrayContaining(["websocket", "crow", "node", "bun", "deno", "permessage-deflate"]));
    // The project has no public URL: none is invented.
    for (const key of ["repository", "homepage", "bugs"]) expect(manifest).not.toHaveProperty(key);
    // The engines claim matches what runs this suite (and the consumer below).
    expect(Number(process.versions.node.split(".")[0])).toBeGreaterThanOrEqual(24);
  });

  it("ships no dev files; no runtime dependency, redis only as an optional peer", () => {
    const files = run("npm", ["pack", "--dry-run", "--json"], join(root, "npm"));
    const listed = (JSON.parse(files) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    expect(listed).toContain("mod.js");
    expect(listed).toContain("adapters/node.d.ts");
    expect(listed).toContain("LICENSE");
    expect(listed.filter((f) => /test|scripts|examples|\.ts$/.test(f) && !f.endsWith(".d.ts"))).toEqual([]);
    const manifest = JSON.parse(run("npm", ["pkg", "get", "dependencies", "peerDependencies", "peerDependenciesMeta"], join(root, "npm"))) as Record<string, unknown>;
    expect(manifest).toEqual({ peerDependencies: { redis: expect.any(String) }, peerDependenciesMeta: { redis: { optional: true } } });
  });

  // Two app instances in one process, one broker each: an app.publish on one reaches a client of the other.
  const redisRoundTrip = (adapter: string, url: string) => `
import { Rookery } from "rookery";
import { serve } from "rookery/${adapter}";
import { redisBroker } from "rookery/redis";
const brokers = [redisBroker({ url: "${url}" }), redisBroker({ url: "${url}" })];
const [here, there] = brokers.map((broker) => new Rookery({ broker }));
here!.ws("/room").onopen((conn) => conn.subscribe("news"));
await Promise.all(brokers.map((b) => b.ready()));
const server = await serve(here!, { port: 0, hostname: "127.0.0.1" });
const ws = new WebSocket(\`ws://127.0.0.1:\${server.port}/room\`);
const got = new Promise((r) => (ws.onmessage = (e) => r(e.data)));
await new Promise((r) => (ws.onopen = r));
let arrived = false;
void got.then(() => (arrived = true));
for (let i = 0; i < 100 && !arrived; i++) {
  // The first publishes can race this instance's SUBSCRIBE reaching Redis; repeat until one lands.
  there!.publish("news", "across");
  await new Promise((r) => setTimeout(r, 50));
}
console.log(\`GOT \${await got}\`);
ws.close();
await server.close();
await Promise.all(brokers.map((b) => b.close()));
`;

  it.each([
    ["node", "Node, from the npm package"],
    ["bun", "Bun, from the npm package"],
    ["deno", "Deno, through deno.json exports (npm:redis from the npm registry)"],
  ])("rookery/redis on %s carries a publish between two instances (%s)", async (runtime) => {
    const redis = await startRedis();
    try {
      if (runtime === "deno") {
        const denoDir = join(dir, "deno-redis");
        mkdirSync(denoDir, { recursive: true });
        writeFileSync(join(denoDir, "deno.json"), JSON.stringify({ imports: { rookery: "jsr:@rookery/rookery@^0.1.0" }, links: [root] }));
        writeFileSync(join(denoDir, "main.ts"), redisRoundTrip("deno", redis.url));
        expect(run(bin("deno"), ["run", "-A", "--quiet", "main.ts"], denoDir)).toContain("GOT across");
      } else {
        writeFileSync(join(dir, `redis-${runtime}.ts`), redisRoundTrip(runtime, redis.url));
        const cmd = runtime === "node" ? process.execPath : bin("bun");
        expect(run(cmd, [`redis-${runtime}.ts`], dir)).toContain("GOT across");
      }
    } finally {
      await redis.stop();
    }
  });

  it("Node 24 imports rookery and rookery/node and round-trips with its built-in WebSocket (undici)", () => {
    writeFileSync(join(dir, "node.ts"), echoRoundTrip("node"));
    expect(run(process.execPath, ["node.ts"], dir)).toContain("REPLY ping:1");
  });

  it("Bun imports rookery and rookery/bun and round-trips with its built-in WebSocket", () => {
    writeFileSync(join(dir, "bun.ts"), echoRoundTrip("bun"));
    expect(run(bin("bun"), ["bun.ts"], dir)).toContain("REPLY ping:1");
  });

  it.each(["nodenext", "bundler"])("tsc type-checks a consumer with typed conn.data (%s resolution)", (resolution) => {
    writeFileSync(
      join(dir, "typed.ts"),
      `import { Rookery } from "rookery";
import { serve } from "rookery/node";
const app = new Rookery({ maxPayload: 1024 });
app.ws("/chat/:room")
  .onaccept((_req, params) => ({ data: { user: "ann", room: params.room } }))
  .onmessage((conn) => {
    const user: string = conn.data.user;
    // @ts-expect-error: data is typed, so an unknown field is an error (this line proves it)
    conn.data.missing;
    conn.send(user + conn.params.room);
  });
export const started = serve(app, { port: 0 });
`,
    );
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "es2023",
          module: resolution === "bundler" ? "preserve" : "nodenext",
          moduleResolution: resolution,
          strict: true,
          noEmit: true,
          lib: ["ES2024", "DOM"],
          types: ["node"],
          typeRoots: [join(root, "node_modules/@types")],
        },
        files: ["typed.ts"],
      }),
    );
    expect(() => run(bin("tsc"), ["-p", "tsconfig.json"], dir)).not.toThrow();
  });

  it("Deno imports the core and the Deno adapter through deno.json exports", () => {
    const denoDir = join(dir, "deno-consumer");
    mkdirSync(denoDir);
    writeFileSync(
      join(denoDir, "deno.json"),
      JSON.stringify({ imports: { rookery: "jsr:@rookery/rookery@^0.1.0" }, links: [root] }),
    );
    writeFileSync(join(denoDir, "main.ts"), echoRoundTrip("deno").replaceAll('"rookery/deno"', '"rookery/deno"'));
    expect(run(bin("deno"), ["run", "-A", "--quiet", "main.ts"], denoDir)).toContain("REPLY ping:1");
  });
});
