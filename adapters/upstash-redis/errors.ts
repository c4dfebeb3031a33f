/**
 * Error mapping of the Upstash adapter: every failure leaves as an `AdapterError("upstash-redis")`.
 * Transport and server failures (endpoint down, Redis down, HTTP 5xx) are retryable; the
 * negative codes the Lua scripts return are mapped in one place, `fromScriptCode`.
 * @module
 */
import { AdapterError, CeleriacError } from "../../src/errors.ts";

/** Adapter name used in errors and `Broker.name`. */
export const ADAPTER = "upstash-redis";

/** Negative codes returned by the scripts in `lua/`. */
export const ScriptCode = {
  /** The script was called with a wrong number of keys or arguments. */
  BadArguments: -1,
  /** A key the script needs holds a value of the wrong type (prefix collision). */
  WrongType: -2,
} as const;

/** Turn a script's negative return code into an error (never retryable: the call is wrong). */
export function fromScriptCode(code: number, ctx: { script: string }): AdapterError {
  const what = code === ScriptCode.BadArguments
    ? "called with malformed arguments"
    : code === ScriptCode.WrongType
    ? "found a key of the wrong type (is the key prefix shared with other data?)"
    : `failed with code ${code}`;
  return new AdapterError(ADAPTER, `script ${ctx.script} ${what}`, { retryable: false });
}

/**
 * Wrap any failure of `op` in an `AdapterError`. The `@upstash/redis` client has already retried
 * network errors (5 times by default, see its `retry` option) when this runs.
 */
export function toAdapterError(op: string, cause: unknown): CeleriacError {
  if (cause instanceof CeleriacError) return cause;
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new AdapterError(ADAPTER, `${op} failed: ${detail}`, { cause, retryable: true });
}

/** Run `fn`, mapping its failure with `toAdapterError`. */
export async function guard<T>(op: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (cause) {
    throw toAdapterError(op, cause);
  }
}
