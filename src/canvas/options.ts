/**
 * Calling options: `ApplyOptions` (celeriac's camelCase) and their conversion to and from a
 * signature's `options` (Celery's snake_case names, which a Python worker understands).
 * @module
 */
import type { SignatureDict, SignatureOptions } from "../types.ts";

/** A signature object (its `toJSON()` is Celery's dict) or the plain dict. */
export type SignatureLike = SignatureDict | { toJSON(): SignatureDict };

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
  if (typeof o.shadow === "string") out.shadow = o.shadow;
  if (typeof o.root_id === "string") out.rootId = o.root_id;
  if (typeof o.parent_id === "string") out.parentId = o.parent_id;
  if (Array.isArray(o.chain) && o.chain.length) out.chain = o.chain as SignatureDict[];
  if (o.chord && typeof o.chord === "object") out.chord = o.chord as SignatureDict;
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
  if (o.shadow) out.shadow = o.shadow;
  if (o.group) out.group_id = o.group;
  if (o.groupIndex != null) out.group_index = o.groupIndex;
  if (o.rootId) out.root_id = o.rootId;
  if (o.parentId) out.parent_id = o.parentId;
  if (o.chain?.length) out.chain = o.chain;
  if (o.chord) out.chord = o.chord;
  return out;
}

/** Normalise one or many signatures to plain dicts (deep copies). */
export function toDicts(s: SignatureLike | SignatureLike[]): SignatureDict[] {
  return (Array.isArray(s) ? s : [s]).map(toDict);
}

/** A signature's plain dict (deep-copied). */
export function toDict(s: SignatureLike): SignatureDict {
  return structuredClone(typeof (s as { toJSON?: unknown }).toJSON === "function" ? (s as { toJSON(): SignatureDict }).toJSON() : s as SignatureDict);
}
