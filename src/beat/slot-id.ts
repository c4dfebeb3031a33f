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
  const nameBytes = new TextEncoder().encode(name);
  const data = new Uint8Array(16 + nameBytes.length);
  for (let i = 0; i < 16; i++) data[i] = parseInt(ns.slice(i * 2, i * 2 + 2), 16);
  data.set(nameBytes, 16);
  const b = new Uint8Array(await crypto.subtle.digest("SHA-1", data)).slice(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
