import { ValidationError } from "../errors.ts";

// What `typeof` names that JSON has no form for.
const NOT_JSON: Record<string, string> = { bigint: "a BigInt", function: "a function", symbol: "a symbol" };

/**
 * Refuse what JSON cannot carry as it is (it would be dropped, changed, or throw a raw
 * TypeError later): BigInt, functions, symbols, NaN/Infinity, Map, Set and other non-plain
 * objects (unless they define `toJSON`, as Date does), circular references and a `__proto__`
 * key. Throws a `ValidationError` naming the path (`args[1].tags`). `undefined` is allowed: it
 * becomes null in a list and is left out of an object, as JSON does.
 */
export function assertJson(task: string, value: unknown, path: string, seen: Set<object> = new Set()): void {
  const refuse = (what: string, at = path): never => {
    throw new ValidationError(task, `${at}: ${what} cannot be sent as JSON`, [{ path: at, message: `${what} is not JSON` }]);
  };
  const type = typeof value;
  if (NOT_JSON[type]) refuse(NOT_JSON[type]);
  if (type === "number" && !Number.isFinite(value)) refuse(String(value));
  if (type !== "object" || value === null) return;
  const obj = value as Record<string, unknown>;
  if (seen.has(obj)) refuse("a circular reference");
  const list = Array.isArray(obj);
  if (!list && typeof obj.toJSON === "function") return assertJson(task, (obj.toJSON as () => unknown)(), path, seen);
  const proto = Object.getPrototypeOf(obj);
  if (!list && proto !== Object.prototype && proto !== null) refuse(`a ${proto?.constructor?.name ?? "non-plain"} object`);
  seen.add(obj);
  // A list's items only (JSON drops other keys of an array); an object's own enumerable keys.
  for (const [key, item] of list ? (obj as unknown as unknown[]).entries() : Object.entries(obj)) {
    if (key === "__proto__") refuse("the key __proto__", `${path}.__proto__`);
    assertJson(task, item, list ? `${path}[${key}]` : `${path}.${key}`, seen);
  }
  seen.delete(obj);
}
