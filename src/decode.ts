/**
 * The step before envelope parsing: messages `decodeMessage` refuses as they are, but that a
 * Python worker would run, are made into plain protocol v2 JSON here (zlib/gzip bodies,
 * protocol 1). Brokers that Python Celery or other producers reach use it as their `decode`
 * (src/ports.ts); what still cannot run gets its FAILURE record from `refusedResult`
 * (src/worker/outcome.ts), so a caller's `.get()` ends (docs/celery-interop.md).
 * @module
 */
import { MessageError } from "./errors.ts";
import { decodeWith, type TaskMessage } from "./message.ts";
import { base64DecodeUtf8 } from "./util/encoding.ts";

/** Content we will not run (kombu's `ContentDisallowed`): pickle, yaml, bzip2, ... */
export class ContentDisallowedError extends MessageError {
  override name = "ContentDisallowed";
}

/** Decompressed bodies larger than this are refused (a small zlib body can expand a lot). */
export const MAX_DECOMPRESSED_BYTES = 32 * 1024 * 1024;

// kombu's registered names, used in its error messages: "pickle (application/x-python-serialize)".
const SERIALIZERS: Record<string, string> = {
  "application/x-python-serialize": "pickle", "application/x-yaml": "yaml", "application/x-msgpack": "msgpack",
  "application/data": "raw",
};
const COMPRESSIONS: Record<string, string> = {
  "application/x-bz2": "bzip2", "application/x-brotli": "brotli", "application/x-lzma": "lzma", "application/zstd": "zstd",
};
// kombu registers zlib as `application/x-gzip` (aliases gzip, zlib); a true gzip stream is accepted too.
const INFLATABLE = new Set(["application/x-gzip", "application/gzip", "gzip", "zlib", "deflate"]);

type Envelope = { body?: unknown; "content-type"?: unknown; headers?: Record<string, unknown>; properties?: Record<string, unknown> };

/**
 * Decode a raw envelope into a task message. Plain protocol v2 JSON takes the fast path
 * (`decodeMessage`'s checks alone); compressed and protocol 1 messages are rewritten first. kombu 5.3's
 * type markers are unwrapped. Throws `ContentDisallowedError` or `MessageError`.
 */
export async function decodeIncoming(raw: string): Promise<TaskMessage> {
  try {
    return decodeWith(raw, parseKombuJson);
  } catch (err) {
    if (!(err instanceof MessageError)) throw err;
    const env = envelopeOf(raw);
    if (!env) throw err;
    if (!(await normalize(env))) throw err;
    return decodeWith(JSON.stringify(env), parseKombuJson);
  }
}

// kombu 5.3+ writes datetimes, uuids, decimals and bytes as {"__type__", "__value__"} markers.
function reviveKombuMarkers(_key: string, value: unknown): unknown {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    if (typeof o.__type__ === "string" && "__value__" in o && Object.keys(o).length === 2) return o.__value__;
  }
  return value;
}

function parseKombuJson(text: string): unknown {
  // A reviver makes JSON.parse several times slower: only pay for it when markers are present.
  return text.includes("__type__") ? JSON.parse(text, reviveKombuMarkers) : JSON.parse(text);
}

function envelopeOf(raw: string): Envelope | null {
  try {
    const v = JSON.parse(raw) as unknown;
    return v && typeof v === "object" && !Array.isArray(v) ? v as Envelope : null;
  } catch {
    return null;
  }
}

// Rewrite `env` in place into plain protocol v2 JSON; false when there was nothing to fix.
async function normalize(env: Envelope): Promise<boolean> {
  const headers = env.headers ??= {};
  const props = env.properties ??= {};
  let changed = false;
  const compression = headers.compression;
  if (compression != null) {
    const c = String(compression);
    if (!INFLATABLE.has(c)) throw refuse(`Refusing to decompress content compressed with ${named(COMPRESSIONS, c)}`);
    if (typeof env.body !== "string") throw new MessageError("compressed body is not a string");
    const bytes = props.body_encoding === "base64" ? base64Bytes(env.body) : new TextEncoder().encode(env.body);
    env.body = await inflate(bytes);
    props.body_encoding = "utf-8";
    delete headers.compression;
    changed = true;
  }
  const type = String(env["content-type"] ?? "application/json");
  if (!type.includes("json")) {
    throw refuse(`Refusing to deserialize untrusted content of type ${named(SERIALIZERS, type)}`);
  }
  if (headers.task == null && typeof env.body === "string") changed = fromProtocol1(env, headers, props) || changed;
  return changed;
}

function refuse(message: string): ContentDisallowedError {
  return new ContentDisallowedError(message);
}

function named(names: Record<string, string>, type: string): string {
  return names[type] ? `${names[type]} (${type})` : type;
}

function base64Bytes(b64: string): Uint8Array {
  let bin: string;
  try {
    bin = atob(b64);
  } catch (cause) {
    throw new MessageError("compressed body is not valid base64", { cause });
  }
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

/** Inflate a zlib (RFC 1950) or gzip (RFC 1952, by its magic bytes) body into UTF-8 text. */
export async function inflate(bytes: Uint8Array): Promise<string> {
  const format = bytes[0] === 0x1f && bytes[1] === 0x8b ? "gzip" : "deflate";
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream(format));
    for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.length;
      if (size > MAX_DECOMPRESSED_BYTES) throw new MessageError(`decompressed body exceeds ${MAX_DECOMPRESSED_BYTES} bytes`);
      chunks.push(chunk);
    }
  } catch (cause) {
    if (cause instanceof MessageError) throw cause;
    throw new MessageError(`body is not valid ${format === "gzip" ? "gzip" : "zlib"} data`, { cause });
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) all.set(c, at), at += c.length;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(all);
  } catch (cause) {
    throw new MessageError("decompressed body is not valid UTF-8", { cause });
  }
}

// Protocol 1 keeps everything in a JSON body object; move it into v2 headers + [args, kwargs, embed].
function fromProtocol1(env: Envelope, headers: Record<string, unknown>, props: Record<string, unknown>): boolean {
  let text = env.body as string;
  if (props.body_encoding === "base64") {
    try {
      text = base64DecodeUtf8(text);
    } catch {
      return false;
    }
  }
  let b: Record<string, unknown>;
  try {
    b = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return false;
  }
  if (!b || typeof b !== "object" || Array.isArray(b) || typeof b.task !== "string" || typeof b.id !== "string") return false;
  Object.assign(headers, {
    lang: "py", task: b.task, id: b.id, eta: b.eta ?? null, expires: b.expires ?? null, group: b.taskset ?? null,
    retries: b.retries ?? 0, timelimit: b.timelimit ?? [null, null], root_id: b.id, parent_id: null,
  });
  env.body = JSON.stringify([b.args ?? [], b.kwargs ?? {}, {
    callbacks: b.callbacks ?? null, errbacks: b.errbacks ?? null, chain: null, chord: b.chord ?? null,
  }]);
  props.body_encoding = "utf-8";
  return true;
}
