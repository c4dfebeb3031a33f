/**
 * What one execution leaves behind: result records to store and messages to publish. The
 * worker flushes those of every finished execution together, in one publish + one ack/store
 * round trip.
 * @module
 */
import { MessageError } from "../errors.ts";
import { toExceptionInfo } from "../exceptions.ts";
import type { AppHost } from "../host.ts";
import type { TaskMessage } from "../message.ts";
import type { ResultWrite } from "../ports.ts";
import { FAILURE, READY_STATES } from "../states.ts";
import { naiveUtc } from "../util/time.ts";

/** What one execution leaves behind, flushed with its ack. */
export class Effects {
  readonly results: ResultWrite[] = [];
  readonly publish: TaskMessage[] = [];
  /** The task function, when it was still running at its hard time limit (it keeps its slot). */
  overrun: Promise<unknown> | null = null;
}

/** What the worker does with the delivery after an execution. */
export type Disposition =
  | { kind: "ack" }
  | { kind: "requeue"; delayMs: number }
  | { kind: "deadLetter"; reason: string };

/** Summary of one execution. */
export interface Execution {
  taskId: string | null;
  task: string | null;
  /** Final state (`SUCCESS`, `FAILURE`, `RETRY`, `REVOKED`), or null when not run. */
  state: string | null;
  disposition: Disposition;
}

/** A result record in Celery's shape. */
export function resultWrite(
  app: AppHost,
  id: string,
  status: string,
  result: unknown,
  extra: { traceback?: string | null; children?: unknown[]; parentId?: string | null; groupId?: string | null; extended?: Record<string, unknown> } = {},
): ResultWrite {
  const meta: ResultWrite["meta"] = {
    status, result, traceback: extra.traceback ?? null, children: extra.children ?? [],
    date_done: READY_STATES.has(status) ? naiveUtc(app.clock.now()) : null, task_id: id,
  };
  if (extra.groupId) meta.group_id = extra.groupId;
  if (extra.parentId) meta.parent_id = extra.parentId;
  if (extra.extended) Object.assign(meta, extra.extended);
  return { meta, ttlMs: app.resultTtlMs() };
}

/**
 * The FAILURE record for a message the worker refused (it did not decode), when its task id is
 * readable from the headers; else null. Stored so a caller's `.get()` ends (docs/celery-interop.md).
 */
export function refusedResult(app: AppHost, raw: string, err: unknown): { write: ResultWrite; id: string; task: string | null } | null {
  const h = headersOf(raw);
  const id = nonEmpty(h.id);
  if (!id) return null;
  const info = toExceptionInfo(err instanceof MessageError ? err : new MessageError(String(err)));
  const write = resultWrite(app, id, FAILURE, info, { parentId: nonEmpty(h.parent_id), groupId: nonEmpty(h.group) });
  return { write, id, task: typeof h.task === "string" ? h.task : null };
}

/** The headers of an envelope, unvalidated ({} when it is not JSON or has none). */
export function headersOf(raw: string): Record<string, unknown> {
  try {
    const h = (JSON.parse(raw) as { headers?: unknown } | null)?.headers;
    if (h && typeof h === "object") return h as Record<string, unknown>;
  } catch { /* not JSON */ }
  return {};
}

/** `v` when it is a non-empty string, else null. */
export const nonEmpty = (v: unknown): string | null => typeof v === "string" && v ? v : null;

/** Celery's `result_extended` fields of a message's record (celery/backends/base.py `_get_result_meta`), when `conf.resultExtended`. */
export function extendedMeta(app: AppHost, msg: TaskMessage, hostname: string): Record<string, unknown> | undefined {
  if (!app.conf.resultExtended) return undefined;
  const h = msg.headers;
  return {
    name: h.task, args: msg.args, kwargs: msg.kwargs, worker: hostname, retries: h.retries,
    queue: msg.properties.delivery_info.routing_key ?? null,
  };
}

/** Options of `drain`. */
export interface DrainOptions {
  /** Stop after this many messages. */
  maxTasks?: number;
  /** Stop taking new work once this many ms have passed. */
  budgetMs?: number;
  signal?: AbortSignal;
}

/** What a drain did. */
export interface DrainReport {
  processed: number;
  succeeded: number;
  failed: number;
  retried: number;
  revoked: number;
  deadLettered: number;
  requeued: number;
}
