/**
 * Celery's builtin canvas tasks, registered on every app: `celery.map` and `celery.starmap`
 * run a task's function inline over a list in one worker (they are not parallel), and
 * `celery.chunks` sends its chunks as a group of `celery.starmap` tasks.
 * @module
 */
import { NotRegisteredError } from "../errors.ts";
import { validateSchema } from "../schema.ts";
import type { AppHost } from "../host.ts";
import type { BoundTaskFn, Task } from "../task.ts";
import type { SignatureDict } from "../types.ts";
import type { TaskContext } from "../worker/context.ts";
import { chunksDict } from "./dicts.ts";

interface MapArgs {
  task: SignatureDict | string;
  it: unknown[];
  n?: number;
}

// Celery sends `{task, it}` as kwargs; accept positional `(task, it)` as well.
function mapArgs(names: string[], a: unknown[]): MapArgs {
  if (a.length === 1 && a[0] && typeof a[0] === "object" && !Array.isArray(a[0])) return a[0] as MapArgs;
  return Object.fromEntries(names.map((n, i) => [n, a[i]])) as unknown as MapArgs;
}

function lookup(app: AppHost, task: SignatureDict | string): Task<any, any> {
  const name = typeof task === "string" ? task : task?.task;
  const t = app.tasks.get(name);
  if (!t) throw new NotRegisteredError(String(name));
  return t;
}

// Call the task's function in this worker (Celery's `task(*args)`), checking its schema.
async function callInline(t: Task<any, any>, self: TaskContext, args: unknown[]): Promise<unknown> {
  if (t.options.args) validateSchema(t.name, "args", t.options.args, args);
  const fn = t.fn as (...a: unknown[]) => unknown;
  return await (t.options.bind ? fn(self, ...args) : fn(...args));
}

/** Register `celery.map`, `celery.starmap` and `celery.chunks` (bound tasks) with `register`. */
export function registerBuiltins(app: AppHost, register: (name: string, fn: BoundTaskFn<unknown[], unknown>) => void): void {
  register("celery.map", async (self: TaskContext, ...a: unknown[]) => {
    const { task, it } = mapArgs(["task", "it"], a);
    const t = lookup(app, task);
    const out: unknown[] = [];
    for (const item of it ?? []) out.push(await callInline(t, self, [item]));
    return out;
  });
  register("celery.starmap", async (self: TaskContext, ...a: unknown[]) => {
    const { task, it } = mapArgs(["task", "it"], a);
    const t = lookup(app, task);
    const out: unknown[] = [];
    for (const item of it ?? []) out.push(await callInline(t, self, Array.isArray(item) ? item : [item]));
    return out;
  });
  register("celery.chunks", async (self: TaskContext, ...a: unknown[]) => {
    const { task, it, n } = mapArgs(["task", "it", "n"], a);
    const sig = typeof task === "string" ? { task, args: [], kwargs: {}, options: {}, subtask_type: null, immutable: false } : task;
    const res = await app.applySignature(chunksDict(sig, it as unknown[][], n ?? 1), [], {
      parentId: self.request.id, rootId: self.request.rootId,
    });
    return res.asTuple();
  });
}
