import { describe, expect, it } from "vitest";
import { Rookery } from "../../mod.ts";
import { compilePattern, Router } from "../../src/path.ts";

function routerOf(patterns: readonly string[]): Router<string> {
  const r = new Router<string>();
  for (const p of patterns) r.add(compilePattern(p), p);
  return r;
}

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

describe("pattern syntax", () => {
  it("a pattern that is not a string is refused with the pattern error", () => {
    expect(() => new Rookery().ws(42 as never)).toThrow(new TypeError("Invalid route pattern 42: it must start with '/'"));
  });

  it.each(["/a/:room-id", "/a/:x.y", "/a/:x!"])("%j: a parameter name is an identifier, all of it", (pattern) => {
    expect(() => compilePattern(pattern)).toThrow(/needs a name/);
  });

  it.each(["/a%2", "/a%2G", "/a%"])("%j: a % must start a two-digit hex escape", (pattern) => {
    expect(() => compilePattern(pattern)).toThrow(/characters a path cannot hold/);
  });

  it("a static segment may hold escapes; it matches the path as sent, still encoded", () => {
    const r = routerOf(["/caf%C3%A9", "/x/a%20b/:id"]);
    expect(r.find("/caf%C3%A9")).toEqual({ value: "/caf%C3%A9", params: {} });
    expect(r.find("/x/a%20b/7")).toEqual({ value: "/x/a%20b/:id", params: { id: "7" } });
  });
});

describe("patterns that match different paths can all be registered", () => {
  it.each([
    ["/a/", "/a/:x"], // "/a/" is an exact path; "/a/:x" needs a non-empty segment
    ["/files/", "/files/*"],
    ["/a/:x", "/a/*"],
    ["/ab", "/a/b"],
    ["/chat/", "/chat/:room", "/chat/*"],
  ])("%s and %s", (...patterns: string[]) => {
    const app = new Rookery();
    for (const p of patterns) expect(() => app.ws(p)).not.toThrow();
    expect(() => app.ws(patterns[patterns.length - 1]!)).toThrow(/conflicts/);
  });

  it("each of them takes its own paths", () => {
    const r = routerOf(["/a/", "/a/:x", "/a/*", "/ab", "/a/b"]);
    expect(r.find("/a/")?.value).toBe("/a/");
    expect(r.find("/a/q")?.value).toBe("/a/:x");
    expect(r.find("/a/b")?.value).toBe("/a/b");
    expect(r.find("/a/q/r")?.value).toBe("/a/*");
    expect(r.find("/ab")?.value).toBe("/ab");
  });
});

describe("routes made only of parameters and wildcards", () => {
  it("/:room matches any one segment, /* any path", () => {
    const r = routerOf(["/:room", "/*"]);
    expect(r.find("/lobby")).toEqual({ value: "/:room", params: { room: "lobby" } });
    expect(r.find("/:room")).toEqual({ value: "/:room", params: { room: ":room" } });
    expect(r.find("/a/b")).toEqual({ value: "/*", params: { "*": "a/b" } });
  });
});

describe("malformed escapes never match", () => {
  it.each(["/files/%E0%A4%A", "/files/a/%zz", "/files/%"])("%s under a wildcard", (path) => {
    const r = routerOf(["/files/*"]);
    expect(r.find(path)).toBeUndefined();
  });
});

describe("precedence with routes of several lengths", () => {
  const patterns = ["/a/:x/:y", "/a/:x", "/a/:x/c", "/a/*"];
  const expected: [string, string][] = [
    ["/a/q/c", "/a/:x/c"],
    ["/a/q/r", "/a/:x/:y"],
    ["/a/q", "/a/:x"],
    ["/a/q/r/s", "/a/*"],
  ];

  it.each(permutations(patterns).map((order) => [order.join(" "), order] as const))(
    "registered as %s, every path goes to its most specific route",
    (_name, order) => {
      const r = routerOf(order);
      for (const [path, pattern] of expected) expect(r.find(path)?.value, path).toBe(pattern);
    },
  );
});
