/**
 * Task events, named and shaped like Celery's monitoring events (`task-received`,
 * `task-started`, `task-succeeded`, ...), delivered in-process to `WorkerOptions.onEvent` for
 * logs and metrics, and, with `WorkerOptions.events`, published on the broker in Celery's wire
format (src/worker/celery-events.ts).
 * @module
 */
import { toExceptionInfo } from "../exceptions.ts";
import type { ExceptionInfo } from "../types.ts";

/** Celery's task event types. */
export type TaskEventType =
  | "task-received" | "task-started" | "task-succeeded" | "task-failed" | "task-retried" | "task-revoked"
  | "task-rejected" | "task-progress";

/** One task event. `timestamp` is epoch seconds (Celery's unit); `runtime` is seconds. */
export interface TaskEvent {
  type: TaskEventType;
  /** Task id (null for a message too malformed to have one). */
  uuid: string | null;
  /** Task name (null when unknown). */
  name: string | null;
  hostname: string;
  timestamp: number;
  retries?: number;
  /** Seconds the task ran (succeeded, failed, retried). */
  runtime?: number;
  /** The return value (succeeded). */
  result?: unknown;
  /** `Type('message')`, as Celery's events show exceptions (failed, retried). */
  exception?: string;
  traceback?: string | null;
  /** Why a message was rejected (dead-lettered) or revoked (`"revoked"`, `"expired"`). */
  reason?: string;
  /** The ETA of a retry, or of a received message (ISO). */
  eta?: string;
  /** task-received: the arguments as Celery shows them (`argsrepr`, `kwargsrepr`). */
  args?: string;
  kwargs?: string;
  /** task-received: the message's `root_id`, `parent_id`, `expires` (ISO) and queue. */
  rootId?: string | null;
  parentId?: string | null;
  expires?: string | null;
  queue?: string;
  /** task-progress: the state and meta a task stored with `self.updateState(state, meta)`. */
  state?: string;
  meta?: unknown;
}

/** Receives task events; errors it throws are ignored. */
export type TaskEventListener = (event: TaskEvent) => void;

/** `Type('message')` for an error, as in Celery's `task-failed.exception`. */
export function exceptionRepr(err: unknown): string {
  return reprOf(toExceptionInfo(err));
}

/**
 * `Type('a', 2)` for an exception record; `escape` quotes string arguments as Python's repr
 * does (backslashes and single quotes escaped).
 */
export function reprOf(info: ExceptionInfo, escape = false): string {
  const args = [info.exc_message].flat().map((m) =>
    typeof m === "string" ? `'${escape ? m.replace(/\\/g, "\\\\").replace(/'/g, "\\'") : m}'` : JSON.stringify(m)
  );
  return `${info.exc_type}(${args.join(", ")})`;
}
