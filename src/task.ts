/**
 * Tasks: a registered function plus Celery's options, and the ways to call it.
 * @module
 */
import { chunks, xmap, xstarmap, type Chunks } from "./canvas/primitives.ts";
import { Signature, type ApplyOptions, type SignatureHost } from "./canvas/signature.ts";
import type { AsyncResult } from "./result.ts";
import type { StandardSchemaV1 } from "./schema.ts";
import type { TaskContext } from "./worker/context.ts";

/** Something that may be thrown and matched by `autoretryFor`: a class or a predicate. */
export type ErrorMatcher = (abstract new (...args: never[]) => unknown) | ((err: unknown) => boolean);

/** Task options, with Celery's names (camelCase), meanings and defaults. Durations are seconds. */
export interface TaskOptions {
  /** Replace a task already registered under this name (otherwise registering it twice is a ConfigError). */
  override?: boolean;
  /** Pass the task context (`self`) as the first argument. */
  bind?: boolean;
  /** Retries allowed by `self.retry()` and `autoretryFor` (default 3; null = unlimited). */
  maxRetries?: number | null;
  /** Countdown of `retry()` without countdown/eta (default 180 s). */
  defaultRetryDelay?: number;
  /** Errors that retry the task automatically. */
  autoretryFor?: ErrorMatcher[];
  /** Errors never retried automatically, even when they match `autoretryFor`. */
  dontAutoretryFor?: ErrorMatcher[];
  /** Options for automatic retries (e.g. `{ maxRetries: 5, countdown: 2 }`). */
  retryKwargs?: { maxRetries?: number | null; countdown?: number };
  /** Exponential backoff for automatic retries: true = factor 1, a number = the factor. */
  retryBackoff?: boolean | number;
  /** Upper bound of the backoff (default 600 s). */
  retryBackoffMax?: number;
  /** Full jitter on the backoff (default true). */
  retryJitter?: boolean;
  /** Hard time limit: the task is marked FAILURE with TimeLimitExceeded. */
  timeLimit?: number;
  /** Soft time limit: the task's AbortSignal fires with SoftTimeLimitExceeded. */
  softTimeLimit?: number;
  /** Do not store the result. */
  ignoreResult?: boolean;
  /** Store STARTED before running. */
  trackStarted?: boolean;
  /** Celery's acks_late; see README for how acknowledgement works on each broker. */
  acksLate?: boolean;
  /** Default expiry of every call, seconds from sending. */
  expires?: number;
  /** Default priority 0–9. */
  priority?: number;
  /** Default queue (overrides `conf.taskRoutes`). */
  queue?: string;
  /** Per-worker rate limit: `"10/s"`, `"100/m"`, `"5/h"`. */
  rateLimit?: string | number;
  /** Schema of the positional args (any Standard Schema: zod, valibot, arktype), checked when sending and again when running. */
  args?: StandardSchemaV1;
  /** Schema of the keyword args (any Standard Schema), checked when sending and again when running. */
  kwargs?: StandardSchemaV1;
}

/** A task function. Keyword arguments from the wire arrive as a final object argument. */
export type TaskFn<A extends unknown[], R> = (...args: A) => R | Promise<R>;
/** A bound task function: receives the task context first. */
export type BoundTaskFn<A extends unknown[], R> = (self: TaskContext, ...args: A) => R | Promise<R>;

/** What a task needs from its app. */
export interface TaskHost extends SignatureHost {
  sendTask(name: string, args?: unknown[], opts?: ApplyOptions): Promise<AsyncResult>;
  AsyncResult(id: string): AsyncResult;
}

/**
 * A registered task. Call it through the broker with `delay`/`applyAsync`, or save the call
 * with `s`/`si`.
 */
export class Task<A extends unknown[] = unknown[], R = unknown> {
  declare readonly name: string;
  declare readonly options: Readonly<TaskOptions>;
  /** The function as registered (bound functions take the context first). */
  declare readonly fn: (...args: never[]) => unknown;
  protected declare readonly host: TaskHost;

  constructor(host: TaskHost, name: string, options: TaskOptions, fn: (...args: never[]) => unknown) {
    this.host = host;
    this.name = name;
    this.options = options;
    this.fn = fn;
  }

  /** Send with positional args. */
  delay(...args: A): Promise<AsyncResult<R>> {
    return this.applyAsync(args);
  }

  /** Send with args and calling options. */
  applyAsync(args?: A, opts: ApplyOptions = {}): Promise<AsyncResult<R>> {
    return this.host.sendTask(this.name, args ?? [], opts) as Promise<AsyncResult<R>>;
  }

  /** A partial signature: a parent result is prepended to these args. */
  s(...args: unknown[]): Signature<R> {
    return new Signature<R>(this.host, { task: this.name, args });
  }

  /** An immutable signature: parent results are not passed. */
  si(...args: unknown[]): Signature<R> {
    return new Signature<R>(this.host, { task: this.name, args, immutable: true });
  }

  /** A signature with keyword arguments and options. */
  signature(args: unknown[] = [], kwargs: Record<string, unknown> = {}, opts: ApplyOptions = {}): Signature<R> {
    return new Signature<R>(this.host, { task: this.name, args, kwargs }).set(opts);
  }

  /**
   * One `celery.map` task that calls this task's function with each item, in one worker
   * (not in parallel): `xsum.map([[1, 2], [3]])` → `[3, 3]`.
   */
  map(it: unknown[]): Signature<R[]> {
    return xmap(this.s(), it);
  }

  /** One `celery.starmap` task that calls this task's function with each item spread as args. */
  starmap(it: unknown[][]): Signature<R[]> {
    return xstarmap(this.s(), it);
  }

  /**
   * Split `it` into chunks of `n` argument lists; sending it sends a group of `celery.starmap`
   * tasks, and `get()` gives one list of results per chunk.
   */
  chunks(it: unknown[][], n: number): Chunks<R> {
    return chunks(this.s(), it, n);
  }

  /** A handle on a result of this task by id. */
  AsyncResult(id: string): AsyncResult<R> {
    return this.host.AsyncResult(id) as AsyncResult<R>;
  }
}
