/**
 * Turning thrown values into Celery's exception records and back. Records are written the way
 * Celery 5.2's JSON backend writes them: `exc_type` is the class name, `exc_message` the
 * exception's `args` as a list and `exc_module` where Python finds the class (so a Python client
 * re-raises the real `NotRegistered`, `TimeLimitExceeded`, ... and not a stand-in).
 * @module
 */
import {
  CeleriacError, NotRegisteredError, SoftTimeLimitExceeded, TaskError, TimeLimitExceeded,
} from "./errors.ts";
import type { ExceptionInfo } from "./types.ts";

// The Python module of each class name a record may carry, so a Python client re-raises the real
// class: Python's builtins, and where Celery 5.2's own errors live (celery.exceptions re-exports
// billiard's, but records name billiard). Any other name is "celeriac".
const PY_MODULE_OF = new Map<string, string>();
for (const [module, names] of Object.entries({
  builtins: "Exception TypeError ValueError KeyError IndexError RuntimeError AttributeError ZeroDivisionError " +
    "NotImplementedError AssertionError LookupError ArithmeticError OverflowError RecursionError TimeoutError OSError ConnectionError",
  "celery.exceptions": "Retry Ignore MaxRetriesExceededError TaskRevokedError ChordError NotRegistered",
  "billiard.exceptions": "TimeLimitExceeded SoftTimeLimitExceeded WorkerLostError",
  "kombu.exceptions": "ContentDisallowed DecodeError",
})) for (const name of names.split(" ")) PY_MODULE_OF.set(name, module);

/** Serialize anything thrown into `{exc_type, exc_message, exc_module}`, as Celery would store it. */
export function toExceptionInfo(err: unknown): ExceptionInfo {
  if (err instanceof TaskError) {
    return { exc_type: err.excType, exc_message: err.excMessage, exc_module: err.excModule };
  }
  // Our MessageError (a message that does not decode) is kombu's DecodeError; what is not an Error is an "Error".
  const type = !(err instanceof Error) ? "Error" : err.name === "MessageError" ? "DecodeError" : err.name || "Error";
  return { exc_type: type, exc_message: argsOf(err), exc_module: PY_MODULE_OF.get(type) ?? "celeriac" };
}

// Python's `exc.args`: NotRegistered(name), TimeLimitExceeded(seconds), SoftTimeLimitExceeded(), a thrown
// non-Error as its text or JSON.
function argsOf(err: unknown): unknown[] {
  if (!(err instanceof Error)) return [typeof err === "string" ? err : safeJson(err)];
  if (err instanceof NotRegisteredError) return [err.task];
  if (err instanceof TimeLimitExceeded) return [err.seconds];
  if (err instanceof SoftTimeLimitExceeded) return [];
  const message = err instanceof CeleriacError ? err.message.replace(/^\[celeriac\] /, "") : err.message;
  return message === "" ? [] : [message];
}

/** The traceback text stored next to a failure (the JS stack). */
export function tracebackOf(err: unknown): string | null {
  return (err instanceof Error && err.stack) || null;
}

/** True when `value` looks like a serialized exception. */
export function isExceptionInfo(value: unknown): value is ExceptionInfo {
  return !!value && typeof value === "object" && typeof (value as ExceptionInfo).exc_type === "string";
}

/** Rebuild a throwable error from a stored record. */
export function fromExceptionInfo(taskId: string, value: unknown, traceback: string | null): TaskError {
  const exc = isExceptionInfo(value)
    ? { ...value, exc_message: Array.isArray(value.exc_message) ? value.exc_message : [value.exc_message] }
    : { exc_type: "Error", exc_message: [safeJson(value)], exc_module: null };
  return new TaskError(taskId, exc, traceback);
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
