/**
 * Canvas signatures as plain data: Celery's dict shapes for chain, group, chord, map, starmap
 * and chunks (the builders), and reading their parts back (the accessors). Both the signature
 * classes and the planner stand on these.
 * @module
 */
import { ConfigError } from "../errors.ts";
import type { SignatureDict, SignatureOptions } from "../types.ts";

/** The canvas kinds Celery serializes in `subtask_type`. */
export type CanvasKind = "chain" | "group" | "chord" | "xmap" | "xstarmap" | "chunks";

// Celery names the task of a kind `celery.<kind>`, without the `x` of xmap and xstarmap.
function dict(kind: CanvasKind, kwargs: Record<string, unknown>, immutable = false, options: SignatureOptions = {}): SignatureDict {
  return { task: `celery.${kind.replace(/^x/, "")}`, args: [], kwargs, options, subtask_type: kind, immutable };
}

/** The six fields of a signature dict, with Celery's defaults for the missing ones (options shared, not copied). */
export function signatureFields(s: Partial<SignatureDict> & { task: string }): SignatureDict {
  return {
    task: s.task, args: s.args ?? [], kwargs: s.kwargs ?? {}, options: s.options ?? {},
    subtask_type: s.subtask_type ?? null, immutable: s.immutable ?? false,
  };
}

/** `celery.chain`: `kwargs.tasks` in run order. */
export function chainDict(tasks: SignatureDict[]): SignatureDict {
  return dict("chain", { tasks });
}

/** `celery.group`: `kwargs.tasks`, run in parallel. */
export function groupDict(tasks: SignatureDict[], options: SignatureOptions = {}): SignatureDict {
  return dict("group", { tasks }, false, options);
}

/** `celery.chord`: header members (a list, or a group), then the body with the list of their results. */
export function chordDict(header: SignatureDict[] | SignatureDict, body: SignatureDict): SignatureDict {
  return dict("chord", { header, body, kwargs: {} });
}

/** `celery.map` (`xmap`): one task that calls `task` on every item of `it`. */
export function mapDict(task: SignatureDict, it: unknown[]): SignatureDict {
  return dict("xmap", { task, it }, true);
}

/** `celery.starmap` (`xstarmap`): one task that calls `task(...item)` for every item. */
export function starmapDict(task: SignatureDict, it: unknown[][]): SignatureDict {
  return dict("xstarmap", { task, it }, true);
}

/** `celery.chunks`: `it` split in parts of `n`, sent as a group of `celery.starmap` tasks. */
export function chunksDict(task: SignatureDict, it: unknown[][], n: number): SignatureDict {
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`chunks: n must be a positive integer, got ${n}`);
  return dict("chunks", { task, it, n }, true);
}

/** Members of a group dict. */
export function groupTasks(s: SignatureDict): SignatureDict[] {
  const tasks = s.kwargs.tasks;
  if (!Array.isArray(tasks)) throw new ConfigError(`${s.task}: kwargs.tasks must be a list of signatures`);
  return tasks as SignatureDict[];
}

/** Steps of a chain dict. */
export const chainTasks: (s: SignatureDict) => SignatureDict[] = groupTasks;

/** Header (a list, or a group dict once frozen) and body of a chord dict. */
export function chordParts(s: SignatureDict): { header: SignatureDict; body: SignatureDict } {
  const { header, body } = s.kwargs as { header?: SignatureDict | SignatureDict[]; body?: SignatureDict };
  if (!body || typeof body !== "object") throw new ConfigError("celery.chord: kwargs.body must be a signature");
  if (!header || typeof header !== "object") throw new ConfigError("celery.chord: kwargs.header must be a list of signatures or a group");
  // A list has no subtask_type: its members, like a single member, make a new group.
  const group = (header as SignatureDict).subtask_type === "group" ? header as SignatureDict : groupDict([header].flat());
  return { header: group, body };
}

/** The group of `celery.starmap` tasks a chunks dict stands for (Celery `chunks.group()`). */
export function chunksToGroup(s: SignatureDict): SignatureDict {
  const { task, it, n } = s.kwargs as { task: SignatureDict; it: unknown[][]; n: number };
  const parts: SignatureDict[] = [];
  for (let i = 0; i < it.length; i += n) parts.push(starmapDict(task, it.slice(i, i + n)));
  return groupDict(parts, { ...s.options });
}
