/**
 * Error mapping and deadlines of the Upstash adapter: every failure leaves as an
 * `AdapterError("upstash-redis")` whose message names the operation and the endpoint (never the
 * token, never the command's arguments) and stays short; the client's error is kept as `cause`.
 * Transport and server failures (endpoint down, Redis down, HTTP 5xx, a deadline passed) are
 * retryable, an auth failure (HTTP 401/403: `WRONGPASS`, `NOPERM`) is not; the negative codes
 * the Lua scripts return are mapped in one place, `fromScriptCode`.
 * @module
 */
import type { Redis } from "@upstash/redis";
import { AdapterError, CeleriacError } from "../../src/errors.ts";

/** Adapter name used in errors and `Broker.name`. */
export const ADAPTER = "upstash-redis";

/** Default deadline of one adapter call, in ms (option `timeoutMs`). */
export const DEFAULT_TIMEOUT_MS = 10_000;

/** Negative codes returned by the scripts in `lua/`. */
export const ScriptCode = {
  /** The script was called with a wrong number of keys or arguments. */
  BadArguments: -1,
  /** A key the script needs holds a value of the wrong type (prefix collision). */
  WrongType: -2,
} as const;

/** Where one adapter instance sends its calls and how long each may take. */
export interface CallSite {
  /** The endpoint URL without credentials, query or fragment (for messages). */
  endpoint: string;
  /** Deadline of one call in ms; `0` or `Infinity` waits as long as the client does. */
  timeoutMs: number;
}

/** The call site of a client: its base URL (read from the client, credentials stripped) and a deadline. */
export function callSite(redis: Redis, timeoutMs: number = DEFAULT_TIMEOUT_MS): CallSite {
  const base = (redis as unknown as { client?: { baseUrl?: unknown } }).client?.baseUrl;
  return { endpoint: typeof base === "string" ? publicUrl(base) : "", timeoutMs };
}

/** Turn a script's negative return code into an error (never retryable: the call is wrong). */
export function fromScriptCode(code: number, ctx: { script: string }): AdapterError {
  const what = code === ScriptCode.BadArguments
    ? "called with malformed arguments"
    : code === ScriptCode.WrongType
    ? "found a key of the wrong type (is the key prefix shared with other data?)"
    : `failed with code ${code}`;
  return new AdapterError(ADAPTER, `script ${ctx.script} ${what}`, { retryable: false });
}

// Upstash answers a bad or missing token with 401 WRONGPASS, a token without the right with NOPERM.
const AUTH_FAILURE = /^(WRONGPASS|NOAUTH|NOPERM)\b|\b(Unauthorized|Forbidden)\b/i;

/**
 * Wrap any failure of `op` in a short `AdapterError`. The `@upstash/redis` client has already
 * retried network errors (5 times by default, see its `retry` option) when this runs.
 */
export function toAdapterError(op: string, cause: unknown, endpoint = ""): CeleriacError {
  if (cause instanceof CeleriacError) return cause;
  const detail = detailOf(cause);
  const where = endpoint ? ` (${endpoint})` : "";
  return new AdapterError(ADAPTER, `${op} failed${where}: ${detail}`, { cause, retryable: !AUTH_FAILURE.test(detail) });
}

/**
 * Run `fn` within the site's deadline, mapping its failure with `toAdapterError`. On expiry
 * the call rejects with a retryable `AdapterError` at once; a reply arriving later is ignored
 * (the client's own request is aborted too when it was built with a `signal`, as `fromEnv` does).
 */
export function guard<T>(op: string, fn: () => Promise<T>, site?: CallSite): Promise<T> {
  const ms = site?.timeoutMs ?? 0;
  const where = site?.endpoint ? ` (${site.endpoint})` : "";
  const expired = (cause?: unknown): AdapterError =>
    new AdapterError(ADAPTER, `${op} timed out after ${ms} ms${where}`, { retryable: true, cause });
  // The client's own signal (`fromEnv`) may fire first: the same error.
  const mapped = (): Promise<T> =>
    fn().catch((cause: unknown) =>
      Promise.reject((cause as Error)?.name === "TimeoutError" && ms > 0 ? expired(cause) : toAdapterError(op, cause, site?.endpoint))
    );
  if (!(ms > 0 && ms < Infinity)) return mapped();
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(expired()), ms);
    mapped().then(resolve, reject).finally(() => clearTimeout(timer));
  });
}

// The client's message without the echoed request (`, command was: [...]` holds every argument), capped.
function detailOf(cause: unknown): string {
  let text = cause instanceof Error ? cause.message : String(cause);
  text = text.replace(/, command was: [\s\S]*$/, "");
  const inner = cause instanceof Error ? (cause.cause as { code?: unknown } | undefined) : undefined;
  if (inner && typeof inner.code === "string" && !text.includes(inner.code)) text += ` (${inner.code})`;
  return clip(text.replace(/\s+/g, " ").trim(), 160);
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

function publicUrl(raw: string): string {
  try {
    const u = new URL(raw);
    return clip(`${u.protocol}//${u.host}${u.pathname === "/" ? "" : u.pathname}`, 80);
  } catch {
    return "(invalid URL)";
  }
}
