/**
 * Deterministic names of a beat slot: its claim key and its task id. Both derive from the
 * entry name and the slot alone, so every process computes the same ones.
 * @module
 */

/** RFC 4122 namespace for URLs (Python `uuid.NAMESPACE_URL`). */
export const NAMESPACE_URL = "6ba7b811-9dad-11d1-80b4-00c04fd430c8";

/** The claim key of a slot: `celeriac-beat:<entry>:<slotMs>`. */
export function beatKey(entry: string, slotMs: number): string {
  return `celeriac-beat:${entry}:${slotMs}`;
}

/**
 * The task id of a slot: the name-based (SHA-1) UUID v5 of its claim key in the URL
 * namespace. Python: `uuid.uuid5(uuid.NAMESPACE_URL, "celeriac-beat:<entry>:<slotMs>")`.
 */
export function beatTaskId(entry: string, slotMs: number): Promise<string> {
  return uuid5(beatKey(entry, slotMs));
}

/** RFC 4122 UUID version 5 of `name` in `namespace`, with crypto.subtle. */
export async function uuid5(name: string, namespace: string = NAMESPACE_URL): Promise<string> {
  const ns = namespace.replace(/-/g, "");
  if (!/^[0-9a-f]{32}$/i.test(ns)) throw new TypeError(`not a UUID: ${namespace}`);
  const data = new Uint8Array([...ns.match(/../g)!.map((h) => parseInt(h, 16)), ...new TextEncoder().encode(name)]);
  const b = new Uint8Array(await crypto.subtle.digest("SHA-1", data), 0, 16);
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  // Two hex digits a byte, a dash before bytes 4, 6, 8 and 10.
  return [...b].map((x, i) => ([4, 6, 8, 10].includes(i) ? "-" : "") + x.toString(16).padStart(2, "0")).join("");
}
