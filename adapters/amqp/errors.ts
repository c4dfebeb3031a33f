/**
 * Error mapping of the AMQP adapter: every failure leaves as an `AdapterError("amqp")`.
 * Connection failures and deadlines are retryable; a channel closed by the server for a
 * precondition (a queue declared with other arguments) is not.
 * @module
 */
import { AdapterError, CeleriacError } from "../../src/errors.ts";

/** Adapter name used in errors and `Broker.name`. */
export const ADAPTER = "amqp";

/** Wrap a failure of `op` in an `AdapterError`. */
export function toAdapterError(op: string, cause: unknown): CeleriacError {
  if (cause instanceof CeleriacError) return cause;
  const detail = cause instanceof Error ? cause.message : String(cause);
  const retryable = !/PRECONDITION_FAILED|ACCESS_REFUSED|NOT_ALLOWED/.test(detail);
  return new AdapterError(ADAPTER, `${op} failed: ${detail}`, { cause, retryable });
}

/** Run `fn` within `ms`, mapping its failure (or the deadline) with `toAdapterError`. */
export async function guard<T>(op: string, ms: number, fn: () => Promise<T>): Promise<T> {
  let t: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => (t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)));
  try {
    return await Promise.race([fn(), late]);
  } catch (cause) {
    throw toAdapterError(op, cause);
  } finally {
    clearTimeout(t);
  }
}
