/**
 * Whether an object was garbage-collected: for tests that a buffer is no longer held. Node only
 * (the codec suites run on vitest); `gc` is exposed at run time, so no flag is needed.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** After the current job (WeakRef targets live until it ends) and a full collection. */
export async function isCollected(ref: WeakRef<object>): Promise<boolean> {
  await new Promise((resolve) => setTimeout(resolve, 0));
  gc();
  return ref.deref() === undefined;
}
