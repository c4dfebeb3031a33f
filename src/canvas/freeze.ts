/**
 * The planner, phase 1 (Celery `freeze`): give every task of a canvas its id before anything is
 * sent, so the result handle is known up front and later steps (sent by workers from
 * `embed.chain` or `embed.chord`) keep those ids. Freezing also brings a canvas to the shape it
 * is sent in: nested chains spliced, nested groups flattened, `group | sig` upgraded to a chord,
 * chunks turned into their group. Freezing a frozen canvas changes nothing. Then: what a frozen
 * canvas answers (its result handle, the ids its ChordError goes to). Phase 2 is plan.ts.
 * @module
 */
import { GroupResult } from "../group-result.ts";
import { AsyncResult, type ResultHost } from "../result.ts";
import type { SignatureDict, SignatureOptions } from "../types.ts";
import { uuid } from "../util/id.ts";
import { snakeName } from "./options.ts";
import { chainTasks, chordDict, signatureFields, chordParts, chunksToGroup, groupTasks } from "./dicts.ts";

// Options that identify a node or its place in a workflow: never copied onto children.
const PLACE_OPTIONS = ["taskId", "group", "groupIndex", "chord", "chain", "link", "linkError", "rootId", "parentId"].map(snakeName);

function normalized(s: SignatureDict): SignatureDict {
  return { ...s, ...signatureFields(s), options: { ...s.options } };
}

/** `member` normalized, with the options of the node it is unrolled from as defaults (but not the ones that identify that node). */
function inheriting(member: SignatureDict, parent: SignatureOptions | undefined): SignatureDict {
  const s = normalized(member);
  const defaults: SignatureOptions = { ...parent };
  for (const k of PLACE_OPTIONS) delete defaults[k];
  s.options = { ...defaults, ...s.options };
  return s;
}

/**
 * Freeze a signature dict: a new dict whose every task has `options.task_id`. `id` is the id
 * of the result the caller gets (a task, a chain's last step, a group, a chord's body) unless
 * that node is frozen already: as in Celery, a frozen id is never replaced.
 */
export function freeze(sig: SignatureDict, id?: string): SignatureDict {
  const s = normalized(sig);
  switch (s.subtask_type) {
    case "chain": {
      const steps = normalizeChain(chainTasks(s));
      const last = steps.length - 1;
      const tasks = steps.map((t, i) => freeze(t, i === last ? id ?? s.options.task_id : undefined));
      return { ...s, kwargs: { ...s.kwargs, tasks } };
    }
    case "chunks":
      return freeze(chunksToGroup(s), id);
    case "group":
      s.options.task_id ??= id ?? uuid();
      return { ...s, kwargs: { ...s.kwargs, tasks: flattenGroup(groupTasks(s)).map((t) => freeze(t)) } };
    case "chord": {
      // Celery: a chord's own task_id is its header group's id; `id` goes to the body.
      const { header, body } = chordParts(s);
      const h = freeze(header, s.options.task_id);
      s.options.task_id = h.options.task_id;
      return { ...s, kwargs: { ...s.kwargs, header: h, body: freeze(body, id), kwargs: s.kwargs.kwargs ?? {} } };
    }
    default:
      s.options.task_id ??= id ?? uuid(); // a frozen id is never replaced (Celery)
      return s;
  }
}

/** Members of a group with nested groups (and chunks) unrolled in place, as Celery does. */
function flattenGroup(tasks: SignatureDict[]): SignatureDict[] {
  return tasks.flatMap((raw) => {
    let t = normalized(raw);
    if (t.subtask_type === "chunks") t = chunksToGroup(t);
    if (t.subtask_type === "chain" && !chainTasks(t).length) return [];
    if (t.subtask_type !== "group") return [t];
    return flattenGroup(groupTasks(t)).map((m) => inheriting(m, t.options));
  });
}

/**
 * A chain's steps as they are sent: nested chains spliced, one-member groups unrolled, empty
 * groups dropped, `chord(h, chain(a, b))` split into `chord(h, a), b`, and every group that is
 * followed by a step turned into a chord with that step as its body.
 */
export function normalizeChain(tasks: SignatureDict[]): SignatureDict[] {
  const flat: SignatureDict[] = [];
  const add = (raw: SignatureDict): void => {
    let t = normalized(raw);
    if (t.subtask_type === "chain") return chainTasks(t).forEach(add);
    if (t.subtask_type === "chunks") t = chunksToGroup(t);
    if (t.subtask_type === "group" && groupTasks(t).length === 1) return add(inheriting(groupTasks(t)[0], t.options));
    if (t.subtask_type === "chord") {
      const { header, body } = chordParts(t);
      const steps = body.subtask_type === "chain" ? chainTasks(body) : [];
      if (steps.length && steps[0].subtask_type !== "group") {
        add({ ...t, kwargs: { ...t.kwargs, header, body: inheriting(steps[0], body.options) } });
        return steps.slice(1).forEach(add);
      }
    }
    flat.push(t);
  };
  tasks.forEach(add);
  const kept = flat.filter((t) => t.subtask_type !== "group" || groupTasks(t).length);
  const steps = kept.length ? kept : flat.slice(-1);
  return steps.reduceRight<SignatureDict[]>(
    (out, t) => t.subtask_type === "group" && out.length ? [chordDict(t, out[0]), ...out.slice(1)] : [t, ...out],
    [],
  );
}

/**
 * The result handle of a frozen signature: a task's `AsyncResult`, a group's `GroupResult`,
 * a chain's last step (its `.parent` walks back), a chord's body (its parent is the header).
 */
export function handleOf(s: SignatureDict, host: ResultHost, parent: AsyncResult | null = null): AsyncResult {
  switch (s.subtask_type) {
    case "chain":
      return chainTasks(s).reduce<AsyncResult | null>((p, step) => handleOf(step, host, p), parent) ??
        new GroupResult(uuid(), [], host, parent);
    case "group":
      return new GroupResult(s.options.task_id!, groupTasks(s).map((t) => handleOf(t, host)), host, parent);
    case "chord": {
      const { header, body } = chordParts(s);
      return handleOf(body, host, handleOf(header, host, parent));
    }
    default:
      return new AsyncResult(s.options.task_id!, host, parent);
  }
}

/** Ids of the records a handle on this (frozen) signature reads: where ChordError goes. */
export function resultIds(s: SignatureDict): string[] {
  // Only the handles' ids are asked for: nothing is read, so they need no backend.
  return handleOf(s, {} as ResultHost).watchIds(false);
}
