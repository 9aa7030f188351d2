// Node's `listen({ reusePort })` arrived in 22.12 and 23.1; older versions ignore the option.

/** Whether `listen({ reusePort })` exists in Node `version` ("22.12.0"...). */
export function supportsReusePort(version: string): boolean {
  const [major = 0, minor = 0] = version.split(".").map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}
