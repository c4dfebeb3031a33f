/**
 * The app: task registry, configuration, sending, and the entry to workers and beat.
 * @module
 */
import { memoryBackend, memoryBroker } from "../adapters/memory/mod.ts";
import { Beat } from "./beat/beat.ts";
import type { BeatSchedule } from "./beat/entries.ts";
import { applyCanvas } from "./canvas/apply.ts";
import { registerBuiltins } from "./canvas/builtins.ts";
import { mergeArgs, optionsToApply, Signature, toDicts, type ApplyOptions } from "./canvas/signature.ts";
import { AdapterError, CeleriacError, ConfigError, ValidationError } from "./errors.ts";
import { buildMessage, toOutbound, type TaskMessage } from "./message.ts";
import type { Broker, ResultBackend } from "./ports.ts";
import { AsyncResult } from "./result.ts";
import type { GroupResult } from "./group-result.ts";
import { restoreGroup } from "./group-restore.ts";
import { REVOKED, READY_STATES } from "./states.ts";
import { Task, type BoundTaskFn, type TaskFn, type TaskOptions } from "./task.ts";
import type { SignatureDict } from "./types.ts";
import { naiveUtc } from "./util/time.ts";
import { Worker, type WorkerOptions } from "./worker/worker.ts";

/** A route: a queue name or `{ queue, priority }`. */
export type Route = string | { queue?: string; priority?: number };
/** `taskRoutes`: task name or glob (`"media.*"`) → route, or a function returning one. */
export type TaskRoutes = Record<string, Route> | ((task: string) => Route | null | undefined);

/** App configuration, with Celery's setting names in camelCase. Durations are seconds. */
export interface CeleriacConf {
  /** Queue used when no route matches (Celery `task_default_queue`, "celery"). */
  defaultQueue: string;
  taskRoutes: TaskRoutes;
  /** Seconds to keep results (default 86400; null or 0 = forever). */
  resultExpires: number | null;
  /** Seconds a claimed message stays invisible before it is handed out again (default 3600). */
  visibilityTimeout: number;
  /** Seconds a revoked id is remembered (default 86400). */
  revokedExpires: number;
  /** Written to `headers.origin` of messages sent by this app. */
  origin: string;
  /** Periodic entries sent by `app.beat.tick()` (see docs/beat.md). */
  beatSchedule?: BeatSchedule;
  /** IANA zone crontab entries are read in (default "UTC"). */
  timezone?: string;
  /** Seconds; beat skips slots older than this (default: min(period, 1 h)). */
  beatStartingDeadline?: number | null;
  /** Extra settings read by other parts. */
  [setting: string]: unknown;
}

/** Options of `new Celeriac`. No broker/backend → the embedded in-memory ones. */
export interface CeleriacOptions {
  broker?: Broker;
  backend?: ResultBackend;
  conf?: Partial<CeleriacConf>;
}

/**
 * A celeriac application.
 * @example
 * const app = new Celeriac("tasks");
 * const add = app.task("tasks.add", (a: number, b: number) => a + b);
 * const r = await add.delay(2, 2);
 * await app.worker().drain();
 * await r.get(); // 4
 */
export class Celeriac {
  readonly name: string;
  readonly broker: Broker;
  readonly backend: ResultBackend;
  readonly conf: CeleriacConf;
  /** Registered tasks by name. */
  readonly tasks: Map<string, Task<any, any>> = new Map();
  private beatInstance?: Beat;

  constructor(name: string, opts: CeleriacOptions = {}) {
    this.name = name;
    this.broker = opts.broker ?? memoryBroker();
    this.backend = opts.backend ?? memoryBackend();
    this.conf = {
      defaultQueue: "celery", taskRoutes: {}, resultExpires: 86_400, visibilityTimeout: 3_600,
      revokedExpires: 86_400, origin: `celeriac@${name}`, ...opts.conf,
    };
    registerBuiltins(this);
  }

  /** Register a task. With `{ bind: true }` the function receives the task context first. */
  task<A extends unknown[], R>(name: string, fn: TaskFn<A, R>): Task<A, Awaited<R>>;
  task<A extends unknown[], R>(name: string, options: TaskOptions & { bind: true }, fn: BoundTaskFn<A, R>): Task<A, Awaited<R>>;
  task<A extends unknown[], R>(name: string, options: TaskOptions & { bind?: false }, fn: TaskFn<A, R>): Task<A, Awaited<R>>;
  task(name: string, a: unknown, b?: unknown): Task<any, any> {
    const [options, fn] = typeof a === "function" ? [{}, a] : [a as TaskOptions, b];
    if (typeof fn !== "function") throw new ConfigError(`task ${name}: a function is required`);
    if (!name) throw new ConfigError("a task needs a name");
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
  applySignature(sig: SignatureDict, args: unknown[] = [], opts: ApplyOptions = {}): Promise<AsyncResult> {
    if (sig.subtask_type) return applyCanvas(this, sig, args, opts);
    const merged = { ...optionsToApply(sig.options ?? {}), ...opts };
    merged.kwargs = { ...sig.kwargs, ...opts.kwargs };
    return this.sendTask(sig.task, mergeArgs(sig, args), merged);
  }

  /** The periodic scheduler: `await app.beat.tick(new Date())` from any trigger. */
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
    const writes = ids.flatMap((id, i) => metas[i] && READY_STATES.has(metas[i]!.status) ? [] : [{
      meta: {
        status: REVOKED, result: { exc_type: "TaskRevokedError", exc_message: ["revoked"], exc_module: "celery.exceptions" },
        traceback: null, children: [], date_done: naiveUtc(Date.now()), task_id: id,
      },
      ttlMs: this.resultTtlMs(),
    }]);
    if (writes.length) await this.backend.set(writes);
  }

  /** @internal result TTL in ms (null = forever) */
  resultTtlMs(): number | null {
    return this.conf.resultExpires ? this.conf.resultExpires * 1000 : null;
  }

  /** Build (and validate) a protocol v2 message without sending it. */
  buildMessage(name: string, args: unknown[], opts: ApplyOptions = {}): TaskMessage {
    const task = this.tasks.get(name);
    const o = task?.options ?? {};
    const kwargs = opts.kwargs ?? {};
    if (o.args) validate(name, "args", o.args, args);
    if (o.kwargs) validate(name, "kwargs", o.kwargs, kwargs);
    const route = this.route(name);
    const priority = opts.priority ?? o.priority ?? route.priority ?? 0;
    if (!Number.isInteger(priority) || priority < 0 || priority > 9) throw new ConfigError(`priority must be an integer 0–9, got ${priority}`);
    const now = Date.now();
    const eta = opts.eta != null ? toMs(opts.eta) : opts.countdown != null ? now + opts.countdown * 1000 : null;
    const exp = opts.expires ?? o.expires;
    const expires = exp == null ? null : typeof exp === "number" ? now + exp * 1000 : toMs(exp);
    return buildMessage({
      task: name, id: opts.taskId, args, kwargs, queue: opts.queue ?? o.queue ?? route.queue ?? this.conf.defaultQueue,
      priority, eta, expires, retries: opts.retries, rootId: opts.rootId, parentId: opts.parentId,
      group: opts.group, groupIndex: opts.groupIndex,
      timeLimit: [opts.timeLimit ?? o.timeLimit ?? null, opts.softTimeLimit ?? o.softTimeLimit ?? null],
      ignoreResult: opts.ignoreResult ?? o.ignoreResult ?? false, shadow: opts.shadow, origin: this.conf.origin,
      headers: opts.headers,
      embed: {
        callbacks: opts.link ? toDicts(opts.link) : null, errbacks: opts.linkError ? toDicts(opts.linkError) : null,
        chain: opts.chain?.length ? opts.chain : null, chord: opts.chord ?? null,
      },
    });
  }

  /** Publish built messages in one broker round trip. */
  async publish(messages: TaskMessage[]): Promise<void> {
    if (!messages.length) return;
    try {
      await this.broker.publish(messages.map(toOutbound));
    } catch (cause) {
      if (cause instanceof CeleriacError) throw cause;
      throw new AdapterError(this.broker.name, `publish failed: ${(cause as Error)?.message ?? cause}`, { cause });
    }
  }

  /** @internal the route of a task name (`conf.taskRoutes`) */
  route(name: string): { queue?: string; priority?: number } {
    const routes = this.conf.taskRoutes;
    const r = typeof routes === "function" ? routes(name) : matchRoute(routes, name);
    return typeof r === "string" ? { queue: r } : r ?? {};
  }
}

function matchRoute(routes: Record<string, Route>, name: string): Route | undefined {
  if (name in routes) return routes[name];
  for (const [pattern, route] of Object.entries(routes)) {
    if (!pattern.includes("*")) continue;
    const re = new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
    if (re.test(name)) return route;
  }
  return undefined;
}

function toMs(v: Date | string | number): number {
  const ms = v instanceof Date ? v.getTime() : typeof v === "number" ? v : Date.parse(v);
  if (Number.isNaN(ms)) throw new ConfigError(`invalid instant ${String(v)}`);
  return ms;
}

function validate(task: string, what: string, schema: NonNullable<TaskOptions["args"]>, value: unknown): void {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issues = r.error.issues;
    throw new ValidationError(task, `invalid ${what}: ${issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`, issues);
  }
}

/** @internal exported for the worker: validate args/kwargs at run time. */
export { validate as validateAgainst };
