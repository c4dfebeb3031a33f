/**
 * Signatures: a task call saved as Celery's signature dict, so it survives broker hops and
 * can be run by a Python worker. Partial by default: a parent's result is prepended to
 * `args` unless the signature is immutable (`task.si(...)`).
 * @module
 */
import type { AsyncResult } from "../result.ts";
import type { SignatureDict, SignatureOptions } from "../types.ts";
import { uuid } from "../util/id.ts";

/** Calling options in celeriac's camelCase. Seconds for durations, like Celery. */
export interface ApplyOptions {
  /** Keyword arguments; they reach the task function as a final object argument. */
  kwargs?: Record<string, unknown>;
  /** Run no sooner than this many seconds from now. */
  countdown?: number;
  /** Run no sooner than this instant. */
  eta?: Date | string | number;
  /** Seconds from now, or an instant, after which the task is REVOKED instead of run. */
  expires?: number | Date | string;
  queue?: string;
  /** 0–9; 0 is consumed first on Redis-style brokers. */
  priority?: number;
  taskId?: string;
  /** Signatures to call with this task's result. */
  link?: SignatureLike | SignatureLike[];
  /** Signatures to call with this task's id when it fails. */
  linkError?: SignatureLike | SignatureLike[];
  /** Custom headers, merged at the top level of the message headers. */
  headers?: Record<string, unknown>;
  ignoreResult?: boolean;
  /** Hard time limit in seconds. */
  timeLimit?: number;
  /** Soft time limit in seconds. */
  softTimeLimit?: number;
  /** Display name for logs and monitors (Celery `shadow`). */
  shadow?: string;
  /** @internal canvas and retry plumbing */
  parentId?: string | null;
  /** @internal */
  rootId?: string | null;
  /** @internal */
  group?: string | null;
  /** @internal */
  groupIndex?: number | null;
  /** @internal remaining chain steps, next step last (Celery's order) */
  chain?: SignatureDict[] | null;
  /** @internal chord body when this task is a chord header member */
  chord?: SignatureDict | null;
  /** @internal */
  retries?: number;
}

/** A signature object or its plain dict. */
export type SignatureLike = Signature | SignatureDict;

/** What a signature needs from its app to be sent. */
export interface SignatureHost {
  applySignature(sig: SignatureDict, args?: unknown[], opts?: ApplyOptions): Promise<AsyncResult>;
}

/** Convert a signature's snake_case options to `ApplyOptions`. */
export function optionsToApply(o: SignatureOptions): ApplyOptions {
  const out: ApplyOptions = {};
  if (o.task_id) out.taskId = o.task_id;
  if (o.queue) out.queue = o.queue;
  if (o.priority != null) out.priority = o.priority;
  if (o.countdown != null) out.countdown = o.countdown;
  if (o.eta) out.eta = o.eta;
  if (o.expires != null) out.expires = o.expires;
  if (o.time_limit != null) out.timeLimit = o.time_limit;
  if (o.soft_time_limit != null) out.softTimeLimit = o.soft_time_limit;
  if (o.ignore_result != null) out.ignoreResult = o.ignore_result;
  if (o.link?.length) out.link = o.link;
  if (o.link_error?.length) out.linkError = o.link_error;
  if (o.group_id) out.group = o.group_id;
  if (o.group_index != null) out.groupIndex = o.group_index;
  if (o.headers) out.headers = o.headers;
  return out;
}

/** Convert `ApplyOptions` to a signature's snake_case options. */
export function applyToOptions(o: ApplyOptions): SignatureOptions {
  const out: SignatureOptions = {};
  if (o.taskId) out.task_id = o.taskId;
  if (o.queue) out.queue = o.queue;
  if (o.priority != null) out.priority = o.priority;
  if (o.countdown != null) out.countdown = o.countdown;
  if (o.eta != null) out.eta = new Date(o.eta).toISOString();
  if (o.expires != null) out.expires = o.expires instanceof Date ? o.expires.toISOString() : o.expires;
  if (o.timeLimit != null) out.time_limit = o.timeLimit;
  if (o.softTimeLimit != null) out.soft_time_limit = o.softTimeLimit;
  if (o.ignoreResult != null) out.ignore_result = o.ignoreResult;
  if (o.link) out.link = toDicts(o.link);
  if (o.linkError) out.link_error = toDicts(o.linkError);
  if (o.headers) out.headers = o.headers;
  return out;
}

/** Normalise one or many signatures to plain dicts. */
export function toDicts(s: SignatureLike | SignatureLike[]): SignatureDict[] {
  return (Array.isArray(s) ? s : [s]).map(toDict);
}

/** A signature's plain dict (deep-copied). */
export function toDict(s: SignatureLike): SignatureDict {
  return structuredClone(s instanceof Signature ? s.toJSON() : s);
}

/**
 * A task call saved for later. Build with `task.s(...)`/`task.si(...)`, send with `delay`.
 * @example
 * await add.s(2).set({ countdown: 5 }).delay(3); // add(3, 2) in 5 s
 */
export class Signature<R = unknown> {
  task: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  options: SignatureOptions;
  subtask_type: string | null;
  immutable: boolean;
  protected readonly host: SignatureHost;

  constructor(host: SignatureHost, dict: Partial<SignatureDict> & { task: string }) {
    this.host = host;
    this.task = dict.task;
    this.args = dict.args ?? [];
    this.kwargs = dict.kwargs ?? {};
    this.options = dict.options ?? {};
    this.subtask_type = dict.subtask_type ?? null;
    this.immutable = dict.immutable ?? false;
  }

  /** Celery's signature dict. */
  toJSON(): SignatureDict {
    return {
      task: this.task, args: this.args, kwargs: this.kwargs, options: this.options,
      subtask_type: this.subtask_type, immutable: this.immutable,
    };
  }

  /** A copy with more args appended, kwargs merged and options overridden. */
  clone(args: unknown[] = [], kwargs: Record<string, unknown> = {}, options: SignatureOptions = {}): this {
    const d = toDict(this);
    const Ctor = this.constructor as new (h: SignatureHost, d: SignatureDict) => this;
    return new Ctor(this.host, {
      ...d, args: [...d.args, ...args], kwargs: { ...d.kwargs, ...kwargs }, options: { ...d.options, ...options },
    });
  }

  /** Set calling options in place (`countdown`, `queue`, `immutable`, ...). Returns this. */
  set(options: ApplyOptions & { immutable?: boolean }): this {
    const { immutable, ...rest } = options;
    if (immutable != null) this.immutable = immutable;
    Object.assign(this.options, applyToOptions(rest));
    return this;
  }

  /** Add a callback run with this signature's result. Returns the callback. */
  link<S extends SignatureLike>(callback: S): S {
    (this.options.link ??= []).push(toDict(callback));
    return callback;
  }

  /** Add an errback run with this signature's task id when it fails. Returns the errback. */
  linkError<S extends SignatureLike>(errback: S): S {
    (this.options.link_error ??= []).push(toDict(errback));
    return errback;
  }

  /** Fix the task id now (Celery `freeze`), so results can be referenced before sending. */
  freeze(): string {
    return (this.options.task_id ??= uuid());
  }

  /** Send with extra positional args prepended (partial application). */
  delay(...args: unknown[]): Promise<AsyncResult<R>> {
    return this.applyAsync(args);
  }

  /** Send with extra args prepended and options overriding the stored ones. */
  applyAsync(args: unknown[] = [], opts: ApplyOptions = {}): Promise<AsyncResult<R>> {
    return this.host.applySignature(this.toJSON(), args, opts) as Promise<AsyncResult<R>>;
  }
}

/** Merge a signature's stored args with args from a parent (prepended unless immutable). */
export function mergeArgs(sig: SignatureDict, prepend: unknown[]): unknown[] {
  return sig.immutable ? [...sig.args] : [...prepend, ...sig.args];
}
