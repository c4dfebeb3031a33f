/**
 * Signatures: a task call saved as Celery's signature dict, so it survives broker hops and
 * can be run by a Python worker. Partial by default: a parent's result is prepended to
 * `args` unless the signature is immutable (`task.si(...)`).
 * @module
 */
import type { AsyncResult } from "../result.ts";
import type { SignatureDict, SignatureOptions } from "../types.ts";
import { uuid } from "../util/id.ts";
import { chainDict, signatureFields } from "./dicts.ts";
import { applyToOptions, toDict, toDicts, type ApplyOptions, type SignatureLike } from "./options.ts";

export { applyToOptions, optionsToApply, toDict, toDicts, type ApplyOptions, type SignatureLike } from "./options.ts";

/** What a signature needs from its app to be sent. */
export interface SignatureHost {
  applySignature(sig: SignatureDict, args?: unknown[], opts?: ApplyOptions): Promise<AsyncResult>;
}

/**
 * A task call saved for later. Build with `task.s(...)`/`task.si(...)`, send with `delay`.
 * @example
 * await add.s(2).set({ countdown: 5 }).delay(3); // add(3, 2) in 5 s
 */
export class Signature<R = unknown> {
  declare task: string;
  declare args: unknown[];
  declare kwargs: Record<string, unknown>;
  declare options: SignatureOptions;
  declare subtask_type: string | null;
  declare immutable: boolean;
  /** @internal the app that sends this signature */
  declare readonly host: SignatureHost;

  /** Wrap a dict in the class registered for its `subtask_type` (`Chain`, `Group`, ...). */
  static from<R = unknown>(host: SignatureHost, dict: SignatureDict): Signature<R> {
    const Ctor = CANVAS_TYPES.get(dict.subtask_type) ?? Signature;
    return new Ctor(host, dict) as Signature<R>;
  }

  constructor(host: SignatureHost, dict: Partial<SignatureDict> & { task: string }) {
    Object.assign(this, signatureFields(dict), { host });
  }

  /** Celery's signature dict. */
  toJSON(): SignatureDict {
    const { host: _host, ...dict } = this;
    return dict;
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

  /**
   * Chain another signature after this one (Celery's `a | b`): the result of this one is
   * prepended to the next one's args. A group followed by a signature becomes a chord.
   */
  pipe<R2>(next: Signature<R2>): Signature<R2> {
    const steps = (s: Signature<unknown>): SignatureDict[] =>
      s.subtask_type === "chain" && !Object.keys(s.options).length ? toDicts(s.kwargs.tasks as SignatureDict[]) : [toDict(s)];
    return Signature.from<R2>(this.host, chainDict([...steps(this), ...steps(next)]));
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

/** Classes of canvas signatures by `subtask_type`, filled in by `primitives.ts`. */
const CANVAS_TYPES = new Map<string | null, new (host: SignatureHost, dict: SignatureDict) => Signature<any>>();

/** @internal register the class that wraps dicts of one `subtask_type` */
export function registerCanvasType(type: string, ctor: new (host: SignatureHost, dict: SignatureDict) => Signature<any>): void {
  CANVAS_TYPES.set(type, ctor);
}

/** Merge a signature's stored args with args from a parent (prepended unless immutable). */
export function mergeArgs(sig: SignatureDict, prepend: unknown[]): unknown[] {
  return sig.immutable ? [...sig.args] : [...prepend, ...sig.args];
}
