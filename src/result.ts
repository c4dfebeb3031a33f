/**
 * `AsyncResult`: a handle on a task's state and return value in the result backend.
 * @module
 */
import { fromExceptionInfo } from "./exceptions.ts";
import type { ResultBackend } from "./ports.ts";
import { stateHint, waitForRecords } from "./result-wait.ts";
import { PENDING, PROPAGATE_STATES, READY_STATES, SUCCESS, FAILURE, type TaskState } from "./states.ts";
import type { ResultMeta } from "./types.ts";

/** What an AsyncResult needs from its app (kept small to avoid an import cycle). */
export interface ResultHost {
  readonly backend: ResultBackend;
  revoke(ids: string[]): Promise<void>;
}

/** Options of `AsyncResult.get`. Durations are milliseconds. */
export interface GetOptions {
  /**
   * Give up after this many ms with `ResultTimeoutError` (default: wait forever), also while a
   * backend read is still pending (its late reply is ignored).
   */
  timeout?: number;
  /**
   * Poll interval in ms, on a backend without `watch`. Default: adaptive, from 50 ms growing by
   * half each poll up to 1 s. A backend with `watch` (Redis, Upstash) is not polled: one read,
   * then the records its notifications carry.
   */
  interval?: number;
  signal?: AbortSignal;
  /** Re-throw the task's error (default true). */
  propagate?: boolean;
}

/**
 * A task's result. State reads go to the backend each time, so they are async:
 * `await r.state`, `await r.ready()`.
 * @example
 * const r = await add.delay(2, 2);
 * await r.get({ timeout: 5_000 }); // 4
 */
export class AsyncResult<T = unknown> {
  /** The task id. */
  declare readonly id: string;
  /**
   * The result this one follows: the previous step of a chain, or the header's `GroupResult`
   * of a chord body; null for a plain task.
   */
  declare parent: AsyncResult | null;
  protected declare readonly host: ResultHost;

  constructor(id: string, host: ResultHost, parent: AsyncResult | null = null) {
    this.id = id;
    this.host = host;
    this.parent = parent;
  }

  /** The stored record, or null while PENDING. */
  meta(): Promise<ResultMeta | null> {
    return this.host.backend.get(this.id);
  }

  /** Current state (`PENDING` when nothing is stored). */
  get state(): Promise<TaskState> {
    return this.meta().then((m) => m?.status ?? PENDING);
  }

  /** The return value, the exception record, or the custom-state meta. */
  get result(): Promise<unknown> {
    return this.meta().then((m) => m?.result ?? null);
  }

  /** The stored traceback of a failure. */
  get traceback(): Promise<string | null> {
    return this.meta().then((m) => m?.traceback ?? null);
  }

  /** Results of the tasks this one started (link callbacks, next chain step). */
  get children(): Promise<AsyncResult[]> {
    return this.meta().then((m) => (m?.children ?? []).flatMap((c) => {
      const id = childId(c);
      return id ? [new AsyncResult(id, this.host)] : [];
    }));
  }

  /** True once the task reached SUCCESS, FAILURE or REVOKED (a group: once every member did). */
  async ready(): Promise<boolean> {
    return (await this.states()).every((s) => READY_STATES.has(s));
  }

  /** True when the task succeeded (a group: every member). */
  async successful(): Promise<boolean> {
    return (await this.states()).every((s) => s === SUCCESS);
  }

  /** True when the task failed (a group: any member). */
  async failed(): Promise<boolean> {
    return (await this.states()).some((s) => s === FAILURE);
  }

  /** @internal the states `ready`, `successful` and `failed` judge: the task's (a group's members') */
  states(): Promise<TaskState[]> {
    return this.state.then((s) => [s]);
  }

  /**
   * Wait until the task is ready and return its value. A FAILURE or REVOKED state is thrown
   * as a `TaskError` whose `name` is the original exception type (unless `propagate: false`).
   * Like Celery's `follow_parents`, a failed parent (an earlier chain step, a chord header
   * member) is thrown as soon as it is seen, instead of waiting for a step that never runs.
   */
  async get(opts: GetOptions = {}): Promise<T> {
    const propagate = opts.propagate ?? true;
    return waitForRecords<T>(this.host.backend, {
      ...opts, id: this.id, ids: this.watchIds(propagate),
      judge: (snap) => this.judge(snap, propagate),
      hint: (snap) => stateHint(snap.get(this.id)),
    });
  }

  /** @internal `evaluate`, with a failure to propagate thrown */
  judge(snap: ReadonlyMap<string, ResultMeta | null>, propagate: boolean): { done: boolean; value?: T } {
    const out = this.evaluate(snap, propagate);
    if (out.failure && propagate) throw fromExceptionInfo(out.failure.task_id, out.failure.result, out.failure.traceback);
    return { done: out.ready, value: out.value as T };
  }

  /** @internal ids of the records `evaluate` reads (with the parents' when following them) */
  watchIds(followParents: boolean): string[] {
    return [this.id, ...(followParents && this.parent ? this.parent.watchIds(true) : [])];
  }

  /** @internal this handle's outcome in a snapshot of records: ready, first failure, value */
  evaluate(snap: ReadonlyMap<string, ResultMeta | null>, followParents: boolean): Outcome {
    const failure = followParents && this.parent?.evaluate(snap, true).failure;
    return failure ? { ready: false, failure, value: null } : this.outcome(snap, followParents);
  }

  /** @internal `evaluate` without the parents: this record's outcome (a group's: its members') */
  outcome(snap: ReadonlyMap<string, ResultMeta | null>, _followParents: boolean): Outcome {
    const m = snap.get(this.id);
    if (!m || !READY_STATES.has(m.status)) return { ready: false, failure: null, value: null };
    return { ready: true, failure: PROPAGATE_STATES.has(m.status) ? m : null, value: m.result };
  }

  /** Delete the stored result (a group: every member's). */
  forget(): Promise<void> {
    return this.host.backend.delete(this.watchIds(false));
  }

  /** Revoke the task (a group: every member): a worker will never run it (state REVOKED). */
  revoke(): Promise<void> {
    return this.host.revoke(this.watchIds(false));
  }

  /** Celery's `as_tuple()` shape: `[[id, parent tuple], children]`. */
  asTuple(): [[string, unknown], unknown[] | null] {
    return [[this.id, this.parent ? this.parent.asTuple() : null], null];
  }

  toString(): string {
    return this.id;
  }
}

/** @internal what `evaluate` finds in a snapshot of records */
export interface Outcome {
  ready: boolean;
  /** The first failed record (a parent's before this one's). */
  failure: ResultMeta | null;
  value: unknown;
}

/** Extract the id from a stored child (`[[id, parent], children]` or `[id, parent]`). */
export function childId(c: unknown): string | null {
  if (Array.isArray(c)) c = Array.isArray(c[0]) ? c[0][0] : c[0];
  return typeof c === "string" ? c : null;
}

export { pollDelays, settleBy, stateHint } from "./result-wait.ts";
