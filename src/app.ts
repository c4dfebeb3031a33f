/**
 * The app: task registry, configuration, sending, and the entry to workers and beat.
 * @module
 */
import { memoryBackend, memoryBroker } from "../adapters/memory/mod.ts";
import { Beat } from "./beat/beat.ts";
import { registerBuiltins } from "./canvas/builtins.ts";
import { Plan, plan, sendPlan } from "./canvas/plan.ts";
import { mergeArgs, optionsToApply, Signature, type ApplyOptions } from "./canvas/signature.ts";
import { AdapterError, CeleriacError, ConfigError, TaskRevokedError } from "./errors.ts";
import { toExceptionInfo } from "./exceptions.ts";
import { systemClock, type AppHost, type CeleriacConf, type Clock } from "./host.ts";
import { toOutbound, type TaskMessage } from "./message.ts";
import type { Broker, ResultBackend } from "./ports.ts";
import { AsyncResult } from "./result.ts";
import type { GroupResult } from "./group-result.ts";
import { restoreGroup } from "./group-restore.ts";
import { routeOf, taskMessage } from "./send.ts";
import { REVOKED, READY_STATES } from "./states.ts";
import { Task, type BoundTaskFn, type TaskFn, type TaskOptions } from "./task.ts";
import type { Tracing } from "./tracing.ts";
import type { ResultMeta, SignatureDict } from "./types.ts";
import { resultWrite } from "./worker/outcome.ts";
import { Worker, type WorkerOptions } from "./worker/worker.ts";

/** Options of `new Celeriac`. No broker/backend → the embedded in-memory ones. */
export interface CeleriacOptions {
  broker?: Broker;
  backend?: ResultBackend;
  conf?: Partial<CeleriacConf>;
  /** Where every time the core reads comes from (default `Date.now`); tests pass one they control. */
  clock?: Clock;
  /** Spans around publish and execute, e.g. `otel()` from `celeriac/adapters/otel` (default none). */
  tracing?: Tracing;
}

export type { CeleriacConf, Clock, Route, TaskRoutes } from "./host.ts";

/**
 * A celeriac application.
 * @example
 * const app = new Celeriac("tasks");
 * const add = app.task("tasks.add", (a: number, b: number) => a + b);
 * const r = await add.delay(2, 2);
 * await app.worker().drain();
 * await r.get(); // 4
 */
export class Celeriac implements AppHost {
  declare readonly name: string;
  declare readonly broker: Broker;
  declare readonly backend: ResultBackend;
  declare readonly conf: CeleriacConf;
  /** The app's clock: `app.clock.now()` is epoch ms. */
  declare readonly clock: Clock;
  /** Registered tasks by name. */
  readonly tasks: Map<string, Task<any, any>> = new Map();
  /** The tracer given as `tracing` (src/tracing.ts), if any. */
  declare readonly tracing?: Tracing;
  private declare beatInstance?: Beat;

  constructor(name: string, opts: CeleriacOptions = {}) {
    this.name = name;
    this.broker = opts.broker ?? memoryBroker();
    this.backend = opts.backend ?? memoryBackend();
    this.clock = opts.clock ?? systemClock;
    if (opts.tracing) this.tracing = opts.tracing;
    this.conf = {
      defaultQueue: "celery", taskRoutes: {}, resultExpires: 86_400, visibilityTimeout: 3_600,
      revokedExpires: 86_400, origin: `celeriac@${name}`, ...opts.conf,
    };
    registerBuiltins(this, (name, fn) => this.task(name, { bind: true }, fn));
  }

  /** Register a task. With `{ bind: true }` the function receives the task context first. */
  task<A extends unknown[], R>(name: string, fn: TaskFn<A, R>): Task<A, Awaited<R>>;
  task<A extends unknown[], R>(name: string, options: TaskOptions & { bind: true }, fn: BoundTaskFn<A, R>): Task<A, Awaited<R>>;
  task<A extends unknown[], R>(name: string, options: TaskOptions & { bind?: false }, fn: TaskFn<A, R>): Task<A, Awaited<R>>;
  task(name: string, a: unknown, b?: unknown): Task<any, any> {
    const [options, fn] = typeof a === "function" ? [{}, a] : [a as TaskOptions, b];
    if (typeof fn !== "function") throw new ConfigError(`task ${name}: a function is required`);
    if (!name) throw new ConfigError("a task needs a name");
    if (this.tasks.has(name) && !(options as TaskOptions).override) {
      throw new ConfigError(`task ${name} is already registered (pass { override: true } to replace it)`);
    }
    const t = new Task(this, name, options, fn as (...args: never[]) => unknown);
    this.tasks.set(name, t);
    return t;
  }

  /** Send a task by name (it need not be registered here). */
  async sendTask(name: string, args: unknown[] = [], opts: ApplyOptions = {}): Promise<AsyncResult> {
    const msg = this.buildMessage(name, args, opts);
    await this.publish([msg]);
    return new AsyncResult(msg.headers.id, this);
  }

  /** A result handle by id. */
  AsyncResult(id: string): AsyncResult {
    return new AsyncResult(id, this);
  }

  /** Celery's `app.GroupResult`: `restore(id)` rebuilds a group stored with `GroupResult.save()` (null if none). */
  get GroupResult(): { restore(id: string): Promise<GroupResult | null> } {
    return { restore: (id) => restoreGroup(this, id) };
  }

  /** A signature of a task by name. */
  signature(task: string, args: unknown[] = [], kwargs: Record<string, unknown> = {}, opts: ApplyOptions = {}): Signature {
    return new Signature(this, { task, args, kwargs }).set(opts);
  }

  /** Send a signature dict with extra args prepended and options overridden. */
  async applySignature(sig: SignatureDict, args: unknown[] = [], opts: ApplyOptions = {}): Promise<AsyncResult> {
    if (!sig.subtask_type) {
      const merged = { ...optionsToApply(sig.options ?? {}), ...opts };
      merged.kwargs = { ...sig.kwargs, ...opts.kwargs };
      return this.sendTask(sig.task, mergeArgs(sig, args), merged);
    }
    // A canvas: plan every message, record the chord sizes, publish everything in one call.
    const p = new Plan();
    const result = plan(this, sig, args, opts, p);
    await sendPlan(this, p);
    return result;
  }

  /** The periodic scheduler: `await app.beat.tick()` from any trigger (default instant: `app.clock.now()`). */
  get beat(): Beat {
    return this.beatInstance ??= new Beat(this);
  }

  /** A worker bound to this app. */
  worker(opts: WorkerOptions = {}): Worker {
    return new Worker(this, opts);
  }

  /** Revoke task ids: workers never run them; states become REVOKED. */
  async revoke(ids: string[]): Promise<void> {
    await this.broker.revoke?.(ids, this.conf.revokedExpires * 1000);
    const metas = await this.backend.mget(ids);
    const result = toExceptionInfo(new TaskRevokedError("revoked"));
    const writes = ids.flatMap((id, i) => metas[i] && READY_STATES.has(metas[i]!.status) ? [] : [
      resultWrite(this, id, REVOKED, result, { extended: keptOnRevoke(metas[i]) }),
    ]);
    if (writes.length) await this.backend.set(writes);
  }

  /** @internal result TTL in ms (null = forever) */
  resultTtlMs(): number | null {
    return this.conf.resultExpires ? this.conf.resultExpires * 1000 : null;
  }

  /** Build (and validate) a protocol v2 message without sending it. */
  buildMessage(name: string, args: unknown[], opts: ApplyOptions = {}): TaskMessage {
    return taskMessage(this, name, args, opts);
  }

  /** Publish built messages in one broker round trip. */
  async publish(messages: TaskMessage[]): Promise<void> {
    if (!messages.length) return;
    const traced = this.tracing?.publish(messages); // writes traceparent into the headers first
    try {
      await this.broker.publish(messages.map(toOutbound));
      traced?.();
    } catch (cause) {
      traced?.(cause);
      if (cause instanceof CeleriacError) throw cause;
      throw new AdapterError(this.broker.name, `publish failed: ${(cause as Error)?.message ?? cause}`, { cause });
    }
  }

  /** @internal the route of a task name (`conf.taskRoutes`) */
  route(name: string): { queue?: string; priority?: number } {
    return routeOf(this.conf.taskRoutes, name);
  }
}

// What a REVOKED record keeps of the record it replaces: the group and parent, and Celery's
// `result_extended` fields (name, args, ...) so monitors still show what was revoked.
function keptOnRevoke(meta: ResultMeta | null | undefined): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  if (!meta) return kept;
  for (const k of ["group_id", "parent_id", "name", "args", "kwargs", "worker", "retries", "queue"]) if (k in meta) kept[k] = meta[k];
  return kept;
}
