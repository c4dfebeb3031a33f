/**
 * The one error tree of celeriac. Every error the library throws is a `CeleriacError`, so a
 * caller can `catch (e) { if (e instanceof CeleriacError) ... }` and switch on `e.code`.
 *
 * ```
 * CeleriacError (code)
 * ├─ ConfigError            invalid or missing option (Celery ImproperlyConfigured)
 * ├─ ValidationError        args/kwargs rejected by the task's schema (at send and at run)
 * ├─ AdapterError           a broker/backend call failed; `adapter`, `retryable` (Celery BackendError)
 * ├─ MessageError           a message that is not valid Celery protocol v2 (goes to dead letters)
 * ├─ NotRegisteredError     unknown task name (Celery NotRegistered)
 * ├─ ResultTimeoutError     AsyncResult.get timed out (Celery TimeoutError)
 * ├─ SignatureError         a push request failed verification (answered with 401)
 * ├─ TaskError              a task's stored failure, re-thrown by AsyncResult.get; `name` = exc_type
 * └─ TaskControl            thrown by/for task code; caught by the worker
 *    ├─ Retry                 self.retry() — republish and store RETRY
 *    ├─ Ignore                finish without storing a state
 *    ├─ MaxRetriesExceededError
 *    ├─ TimeLimitExceeded     hard time limit hit → FAILURE
 *    ├─ SoftTimeLimitExceeded soft time limit hit (the task's AbortSignal reason)
 *    ├─ TaskRevokedError      revoked or expired → REVOKED
 *    └─ ChordError            a chord header member failed → stored on the chord body
 * ```
 * Fields set by a constructor are `declare`d: they get their value there, with no `undefined`
 * placeholder emitted first.
 * @module
 */

/** Options accepted by every celeriac error. */
export interface CeleriacErrorOptions {
  cause?: unknown;
}

/** Root of every error celeriac throws. */
export class CeleriacError extends Error {
  override name = "CeleriacError";
  /** Stable machine-readable code, e.g. `"adapter"` or `"not_registered"`. */
  declare readonly code: string;
  constructor(code: string, message: string, options?: CeleriacErrorOptions) {
    super(`[celeriac] ${message}`, options);
    this.code = code;
  }
}

/** An option is missing or invalid. */
export class ConfigError extends CeleriacError {
  override name = "ConfigError";
  constructor(message: string, options?: CeleriacErrorOptions) {
    super("config", message, options);
  }
}

/** Task arguments did not match the task's Standard Schema. `issues` lists what was wrong. */
export class ValidationError extends CeleriacError {
  override name = "ValidationError";
  declare readonly task: string;
  declare readonly issues: unknown[];
  constructor(task: string, message: string, issues: unknown[] = [], options?: CeleriacErrorOptions) {
    super("validation", `[${task}] ${message}`, options);
    this.task = task;
    this.issues = issues;
  }
}

/** A broker or backend operation failed. `retryable` tells whether trying again may help. */
export class AdapterError extends CeleriacError {
  override name = "AdapterError";
  declare readonly adapter: string;
  declare readonly retryable: boolean;
  constructor(adapter: string, message: string, options?: CeleriacErrorOptions & { retryable?: boolean }) {
    super("adapter", `[${adapter}] ${message}`, options);
    this.adapter = adapter;
    this.retryable = options?.retryable ?? true;
  }
}

/** A message that is not a valid Celery protocol v2 task message. */
export class MessageError extends CeleriacError {
  override name = "MessageError";
  constructor(message: string, options?: CeleriacErrorOptions) {
    super("message", message, options);
  }
}

/** The task name is not registered with this app. */
export class NotRegisteredError extends CeleriacError {
  override name = "NotRegistered";
  declare readonly task: string;
  constructor(task: string) {
    super("not_registered", `task ${JSON.stringify(task)} is not registered`);
    this.task = task;
  }
}

/** `AsyncResult.get` did not see a ready state in time. */
export class ResultTimeoutError extends CeleriacError {
  override name = "ResultTimeoutError";
  declare readonly taskId: string;
  /** `hint`: what the last read showed (its state, and what that usually means). */
  constructor(taskId: string, timeoutMs: number, hint?: string) {
    super("result_timeout", `result ${taskId} not ready after ${timeoutMs} ms${hint ? ` (${hint})` : ""}`);
    this.taskId = taskId;
  }
}

/** A push request failed signature verification. */
export class SignatureError extends CeleriacError {
  override name = "SignatureError";
  constructor(message: string, options?: CeleriacErrorOptions) {
    super("signature", message, options);
  }
}

/**
 * A failure stored by a task, re-thrown by `AsyncResult.get()`. `name` is the original
 * exception type (`"TypeError"`, `"ValueError"`, ...), `excModule` its module.
 */
export class TaskError extends CeleriacError {
  declare readonly excType: string;
  declare readonly excModule: string | null;
  declare readonly excMessage: unknown[];
  declare readonly taskId: string;
  declare readonly traceback: string | null;
  constructor(taskId: string, exc: { exc_type: string; exc_message: unknown[]; exc_module?: string | null }, traceback: string | null) {
    super("task_failed", exc.exc_type);
    // Re-thrown as the task raised it: the original type as name, its message as message.
    this.message = exc.exc_message.map((m) => typeof m === "string" ? m : JSON.stringify(m)).join(", ");
    this.name = exc.exc_type;
    this.excType = exc.exc_type;
    this.excModule = exc.exc_module ?? null;
    this.excMessage = exc.exc_message;
    this.taskId = taskId;
    this.traceback = traceback;
  }
}

/** Base of the control-flow errors that task code throws and the worker catches. */
export class TaskControl extends CeleriacError {
  override name = "TaskControl";
}

/** Options of a retry request. `countdown` is seconds, like Celery. */
export interface RetryRequest {
  countdown?: number;
  eta?: Date;
  exc?: unknown;
  maxRetries?: number | null;
}

/** Thrown by `self.retry()`: the worker republishes the task and stores RETRY. */
export class Retry extends TaskControl {
  override name = "Retry";
  declare readonly when: Date;
  declare readonly exc: unknown;
  constructor(when: Date, exc?: unknown) {
    super("retry", `retry at ${when.toISOString()}${exc instanceof Error ? `: ${exc.message}` : ""}`);
    this.when = when;
    this.exc = exc;
  }
}

/** Thrown by task code to finish without storing any state (Celery Ignore). */
export class Ignore extends TaskControl {
  override name = "Ignore";
  constructor(message = "ignored") {
    super("ignore", message);
  }
}

/** `retry()` was called after `maxRetries` and there was no original exception to raise. */
export class MaxRetriesExceededError extends TaskControl {
  override name = "MaxRetriesExceededError";
  constructor(message: string) {
    super("max_retries", message);
  }
}

/** The hard time limit passed; the task is marked FAILURE. */
export class TimeLimitExceeded extends TaskControl {
  override name = "TimeLimitExceeded";
  /** The limit that passed, in seconds. */
  declare readonly seconds: number;
  constructor(seconds: number) {
    super("time_limit", `TimeLimitExceeded(${seconds})`);
    this.seconds = seconds;
  }
}

/** The soft time limit passed; delivered as the reason of the task's AbortSignal. */
export class SoftTimeLimitExceeded extends TaskControl {
  override name = "SoftTimeLimitExceeded";
  /** The limit that passed, in seconds. */
  declare readonly seconds: number;
  constructor(seconds: number) {
    super("soft_time_limit", `SoftTimeLimitExceeded(${seconds})`);
    this.seconds = seconds;
  }
}

/** The task was revoked or expired. `reason` is `"revoked"`, `"expired"` or `"terminated"`. */
export class TaskRevokedError extends TaskControl {
  override name = "TaskRevokedError";
  declare readonly reason: string;
  constructor(reason: string) {
    super("revoked", reason);
    this.reason = reason;
  }
}

/** A chord header member failed, so the body was not run. */
export class ChordError extends TaskControl {
  override name = "ChordError";
  constructor(message: string) {
    super("chord", message);
  }
}
