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

// The options a signature stores. Each is stored under its snake_case name (`timeLimit` →
// `time_limit`), except `group`, which Celery stores as `group_id`. Numbers, flags and instants
// count as set unless null; names only as non-empty strings; lists when not empty; `headers`,
// `chord` and a single callback only as objects (a stored dict of another shape is dropped).
const VALUE_OPTIONS = ["priority", "countdown", "eta", "expires", "timeLimit", "softTimeLimit", "ignoreResult", "groupIndex"];
const NAME_OPTIONS = ["taskId", "queue", "shadow", "group", "rootId", "parentId"];
const OPTIONS = [...VALUE_OPTIONS, ...NAME_OPTIONS, "link", "linkError", "headers", "chain", "chord"];

/** The name under which a signature's `options` store an `ApplyOptions` key (`timeLimit` → `time_limit`, `group` → `group_id`). */
export const snakeName = (name: string): string => name === "group" ? "group_id" : name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function isSet(name: string, v: unknown, emptyList: boolean): boolean {
  if (VALUE_OPTIONS.includes(name)) return v != null;
  if (NAME_OPTIONS.includes(name)) return typeof v === "string" && v !== "";
  if (Array.isArray(v)) return emptyList || v.length > 0;
  return name !== "chain" && !!v && typeof v === "object";
}

/** Convert a signature's snake_case options to `ApplyOptions`. */
export function optionsToApply(o: SignatureOptions): ApplyOptions {
  const out: Record<string, unknown> = {};
  for (const name of OPTIONS) if (isSet(name, o[snakeName(name)], false)) out[name] = o[snakeName(name)];
  return out;
}

/** Convert `ApplyOptions` to a signature's snake_case options (instants as ISO strings, callbacks as dicts). */
export function applyToOptions(o: ApplyOptions): SignatureOptions {
  const out: SignatureOptions = {};
  for (const name of OPTIONS) {
    let v = o[name as keyof ApplyOptions];
    if (!isSet(name, v, true)) continue;
    if (name === "eta" || v instanceof Date) v = new Date(v as Date).toISOString();
    if (name === "link" || name === "linkError") v = toDicts(v as SignatureLike);
    out[snakeName(name)] = v;
  }
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
