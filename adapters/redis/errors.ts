/**
 * Error mapping of the TCP Redis adapter: every failure leaves as an `AdapterError("redis")`.
 * Connection and server failures are retryable; the negative codes the shared Lua scripts
 * return (adapters/upstash-redis/lua) mean the call itself is wrong and are not.
 * @module
 */
import { AdapterError, CeleriacError } from "../../src/errors.ts";
import { ScriptCode } from "../upstash-redis/errors.ts";

/** Adapter name used in errors and `Broker.name`. */
export const ADAPTER = "redis";

/** Turn a script's negative return code into an error (never retryable: the call is wrong). */
export function fromScriptCode(code: number, script: string): AdapterError {
  const what = code === ScriptCode.BadArguments
    ? "called with malformed arguments"
    : code === ScriptCode.WrongType
    ? "found a key of the wrong type (is the key prefix shared with other data?)"
    : `failed with code ${code}`;
  return new AdapterError(ADAPTER, `script ${script} ${what}`, { retryable: false });
}

/** Wrap a failure of `op` (connection refused, command timeout, server error) in an `AdapterError`. */
export function toAdapterError(op: string, cause: unknown): CeleriacError {
  if (cause instanceof CeleriacError) return cause;
  const detail = cause instanceof Error ? cause.message : String(cause);
  // A key of the wrong type is the caller's; everything else (network, LOADING, timeouts) may pass.
  const retryable = !/^WRONGTYPE/.test(detail);
  return new AdapterError(ADAPTER, `${op} failed: ${detail}`, { cause, retryable });
}

/** Run `fn`, mapping its failure with `toAdapterError`. */
export async function guard<T>(op: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (cause) {
    throw toAdapterError(op, cause);
  }
}
