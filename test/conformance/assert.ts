// Runner-independent assertions, so the same cases run under vitest on Node, Deno and Bun
// (and any other runner).

export class AssertionError extends Error {
  override name = "AssertionError";
}

export function ok(value: unknown, message = "expected a truthy value"): asserts value {
  if (!value) throw new AssertionError(message);
}

export function equal<T>(actual: T, expected: T, message?: string): void {
  if (!Object.is(actual, expected)) {
    throw new AssertionError(`${message ? message + ": " : ""}expected ${show(expected)}, got ${show(actual)}`);
  }
}

export function deepEqual(actual: unknown, expected: unknown, message?: string): void {
  if (show(canon(actual)) !== show(canon(expected))) {
    throw new AssertionError(`${message ? message + ": " : ""}expected ${show(expected)}, got ${show(actual)}`);
  }
}

export async function rejects(fn: () => Promise<unknown>, check?: (err: any) => boolean | void, message?: string): Promise<any> {
  try {
    await fn();
  } catch (err) {
    if (check && check(err) === false) throw new AssertionError(`${message ?? "unexpected error"}: ${show(err)}`);
    return err;
  }
  throw new AssertionError(message ?? "expected a rejection");
}

export function throws(fn: () => unknown, check?: (err: any) => boolean | void): any {
  try {
    fn();
  } catch (err) {
    if (check && check(err) === false) throw new AssertionError(`unexpected error: ${show(err)}`);
    return err;
  }
  throw new AssertionError("expected a throw");
}

function canon(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canon);
  if (v && typeof v === "object" && !(v instanceof Error)) {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon((v as Record<string, unknown>)[k])]));
  }
  return v;
}

function show(v: unknown): string {
  if (v instanceof Error) return `${v.name}: ${v.message}`;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
