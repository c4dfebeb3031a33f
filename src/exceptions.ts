/**
 * Turning thrown values into Celery's exception records and back.
 * @module
 */
import { CeleriacError, TaskError } from "./errors.ts";
import type { ExceptionInfo } from "./types.ts";

// Names that exist in Python's builtins, so a Python client re-raises the real class.
const PY_BUILTINS = new Set([
  "Exception", "TypeError", "ValueError", "KeyError", "IndexError", "RuntimeError", "AttributeError",
  "ZeroDivisionError", "NotImplementedError", "AssertionError", "LookupError", "ArithmeticError",
  "OverflowError", "RecursionError", "TimeoutError", "OSError", "ConnectionError",
]);
const CELERY_ERRORS = new Set([
  "Retry", "Ignore", "MaxRetriesExceededError", "TimeLimitExceeded", "SoftTimeLimitExceeded",
  "TaskRevokedError", "ChordError", "NotRegistered", "WorkerLostError",
]);

// kombu's errors (refused or undecodable messages): a Python client imports them from kombu.
const KOMBU_ERRORS: Record<string, string> = { ContentDisallowed: "ContentDisallowed", MessageError: "DecodeError" };

/** Serialize anything thrown into `{exc_type, exc_message, exc_module}`. */
export function toExceptionInfo(err: unknown): ExceptionInfo {
  if (err instanceof TaskError) {
    return { exc_type: err.excType, exc_message: err.excMessage, exc_module: err.excModule };
  }
  if (err instanceof Error) {
    const type = err.name || "Error";
    const message = err instanceof CeleriacError ? err.message.replace(/^\[celeriac\] /, "") : err.message;
    if (KOMBU_ERRORS[type]) return { exc_type: KOMBU_ERRORS[type], exc_message: [message], exc_module: "kombu.exceptions" };
    const module = CELERY_ERRORS.has(type) ? "celery.exceptions" : PY_BUILTINS.has(type) ? "builtins" : "celeriac";
    return { exc_type: type, exc_message: [message], exc_module: module };
  }
  return { exc_type: "Error", exc_message: [typeof err === "string" ? err : safeJson(err)], exc_module: "celeriac" };
}

/** The traceback text stored next to a failure (the JS stack). */
export function tracebackOf(err: unknown): string | null {
  return err instanceof Error && err.stack ? err.stack : null;
}

/** True when `value` looks like a serialized exception. */
export function isExceptionInfo(value: unknown): value is ExceptionInfo {
  return !!value && typeof value === "object" && typeof (value as ExceptionInfo).exc_type === "string";
}

/** Rebuild a throwable error from a stored record. */
export function fromExceptionInfo(taskId: string, value: unknown, traceback: string | null): TaskError {
  if (isExceptionInfo(value)) {
    const msg = Array.isArray(value.exc_message) ? value.exc_message : [value.exc_message];
    return new TaskError(taskId, { ...value, exc_message: msg }, traceback);
  }
  return new TaskError(taskId, { exc_type: "Error", exc_message: [safeJson(value)], exc_module: null }, traceback);
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
