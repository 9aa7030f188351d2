/**
 * Path patterns: `/static`, `/chat/:room` (a named segment) and `/files/*` (a trailing
 * wildcard that captures the rest of the path, possibly empty, as `params["*"]`).
 *
 * Precedence is decided segment by segment from the left: a static segment beats a named
 * parameter, which beats the wildcard. So for `/a/b/c`, `/a/b/:x` wins over `/a/:y/c`, and
 * `/a/:y/c` wins over `/a/*`. Two patterns of the same shape (`/a/:x` and `/a/:y`) cannot
 * both be registered, so the winner never depends on registration order.
 */

/** The `params` object a pattern yields: one string per `:name`, and `"*"` for a wildcard. */
export type PathParams<P extends string> = {
  [K in ParamNames<P>]: string;
} & (P extends `${string}*` ? { "*": string } : unknown);

/** The names of the `:name` segments of pattern `P`, as a union (`never` when it has none). */
export type ParamNames<P extends string> = P extends `${string}:${infer Name}/${infer Rest}`
  ? Name | ParamNames<`/${Rest}`>
  : P extends `${string}:${infer Name}`
    ? Name
    : never;

type Segment =
  | { kind: "static"; value: string }
  | { kind: "param"; name: string }
  | { kind: "wildcard" };

/** A validated pattern, ready to match paths. */
export interface CompiledPattern {
  readonly pattern: string;
  readonly segments: readonly Segment[];
  /** Equal for patterns that would match exactly the same paths. */
  readonly shape: string;
}

const NAME = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
// RFC 3986 pchar, minus ":" and "*" which the pattern syntax uses.
const STATIC = /^(?:[A-Za-z0-9\-._~!$&'()+,;=@]|%[0-9A-Fa-f]{2})*$/;

/** Parses and validates `pattern`; throws a `TypeError` that says what is wrong. */
export function compilePattern(pattern: string): CompiledPattern {
  const fail = (why: string): never => {
    throw new TypeError(`Invalid route pattern ${JSON.stringify(pattern)}: ${why}`);
  };
  if (typeof pattern !== "string" || !pattern.startsWith("/")) fail("it must start with '/'");
  const parts = pattern.slice(1).split("/");
  const names = new Set<string>();
  const segments = parts.map((part, i): Segment => {
    if (part === "*") {
      if (i !== parts.length - 1) fail("'*' is only allowed as the last segment");
      return { kind: "wildcard" };
    }
    if (part.startsWith(":")) {
      const name = part.slice(1);
      if (!NAME.test(name)) fail(`parameter ${JSON.stringify(part)} needs a name like ':room'`);
      if (names.has(name)) fail(`parameter ':${name}' appears twice`);
      names.add(name);
      return { kind: "param", name };
    }
    if (part === "" && i !== parts.length - 1) fail("empty segment ('//')");
    if (!STATIC.test(part)) fail(`segment ${JSON.stringify(part)} has characters a path cannot hold`);
    return { kind: "static", value: part };
  });
  const shape = segments
    .map((s) => (s.kind === "static" ? s.value : s.kind === "param" ? ":" : "*"))
    .join("/");
  return { pattern, segments, shape };
}

const RANK = { static: 0, param: 1, wildcard: 2 } as const;

/** Orders patterns most specific first (see the module comment). */
export function comparePatterns(a: CompiledPattern, b: CompiledPattern): number {
  const n = Math.min(a.segments.length, b.segments.length);
  for (let i = 0; i < n; i++) {
    const d = RANK[a.segments[i]!.kind] - RANK[b.segments[i]!.kind];
    if (d !== 0) return d;
  }
  return b.segments.length - a.segments.length;
}

/**
 * Matches `pathname` (still percent-encoded, as in a URL) against `compiled`. Returns the
 * decoded params, or `undefined` when it does not match (including malformed `%` escapes).
 */
export function matchPattern(
  compiled: CompiledPattern,
  pathname: string,
): Record<string, string> | undefined {
  const parts = pathname.slice(1).split("/");
  const params: Record<string, string> = {};
  const { segments } = compiled;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    if (seg.kind === "wildcard") {
      if (i >= parts.length) return undefined;
      const rest = decode(parts.slice(i).join("/"));
      if (rest === undefined) return undefined;
      params["*"] = rest;
      return params;
    }
    const part = parts[i];
    if (part === undefined) return undefined;
    if (seg.kind === "static") {
      if (part !== seg.value) return undefined;
    } else {
      const value = part === "" ? undefined : decode(part);
      if (value === undefined) return undefined;
      params[seg.name] = value;
    }
  }
  return parts.length === segments.length ? params : undefined;
}

function decode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/**
 * The params of every match of a static path, shared: nothing to capture, and a connection
 * should not cost an object for it. Frozen, so no connection can leak a key into another's.
 */
const NO_PARAMS: Record<string, string> = Object.freeze({});

/** A set of routes looked up by path: exact static paths by map, the rest in precedence order. */
export class Router<T> {
  #static = new Map<string, T>();
  #dynamic: { compiled: CompiledPattern; value: T }[] = [];
  #shapes = new Set<string>();

  /** Adds a route; throws if a pattern of the same shape is already registered. */
  add(compiled: CompiledPattern, value: T): void {
    if (this.#shapes.has(compiled.shape)) {
      throw new TypeError(
        `Route ${JSON.stringify(compiled.pattern)} conflicts with a route already registered for the same paths`,
      );
    }
    this.#shapes.add(compiled.shape);
    if (compiled.segments.every((s) => s.kind === "static")) {
      this.#static.set(compiled.pattern, value);
      return;
    }
    this.#dynamic.push({ compiled, value });
    this.#dynamic.sort((a, b) => comparePatterns(a.compiled, b.compiled));
  }

  /** The most specific route matching `pathname`, with its params. */
  find(pathname: string): { value: T; params: Record<string, string> } | undefined {
    const exact = this.#static.get(pathname);
    if (exact !== undefined) return { value: exact, params: NO_PARAMS };
    for (const { compiled, value } of this.#dynamic) {
      const params = matchPattern(compiled, pathname);
      if (params) return { value, params };
    }
    return undefined;
  }

  /** Every registered value, in no particular order. */
  values(): T[] {
    return [...this.#static.values(), ...this.#dynamic.map((r) => r.value)];
  }
}
