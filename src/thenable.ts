/** Whether a handler's result is a promise (or any thenable) to wait for, rather than a value. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

/** A value now, or a promise of it: what a step returns when it only sometimes has to wait. */
export type MaybePromise<T> = T | Promise<T>;
