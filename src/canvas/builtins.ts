/**
 * Celery's builtin canvas tasks, registered on every app: `celery.map` and `celery.starmap`
 * run a task's function inline over a list in one worker (they are not parallel), and
 * `celery.chunks` sends its chunks as a group of `celery.starmap` tasks.
 * @module
 */
import { NotRegisteredError } from "../errors.ts";
import { validateSchema } from "../schema.ts";
import type { AppHost } from "../host.ts";
import type { BoundTaskFn } from "../task.ts";
import type { SignatureDict } from "../types.ts";
import type { TaskContext } from "../worker/context.ts";
import { chunksDict, signatureFields } from "./dicts.ts";

interface MapArgs {
  task: SignatureDict | string;
  it: unknown[];
  n?: number;
}

// Celery sends `{task, it}` (chunks: `{task, it, n}`) as kwargs; accept positional `(task, it, n)` as well.
function mapArgs(a: unknown[]): MapArgs {
  if (a.length === 1 && a[0] && typeof a[0] === "object" && !Array.isArray(a[0])) return a[0] as MapArgs;
  const [task, it, n] = a as [MapArgs["task"], unknown[], number | undefined];
  return { task, it, n };
}

/** Register `celery.map`, `celery.starmap` and `celery.chunks` (bound tasks) with `register`. */
export function registerBuiltins(app: AppHost, register: (name: string, fn: BoundTaskFn<unknown[], unknown>) => void): void {
  // Call the task's function in this worker (Celery's `task(*args)`), checking its schema:
  // celery.map with each item, celery.starmap with each item spread as its args.
  for (const spread of [false, true]) {
    register(spread ? "celery.starmap" : "celery.map", async (self: TaskContext, ...a: unknown[]) => {
      const { task, it } = mapArgs(a);
      const name = typeof task === "string" ? task : task?.task;
      const t = app.tasks.get(name);
      if (!t) throw new NotRegisteredError(String(name));
      const fn = t.fn as (...a: unknown[]) => unknown;
      const out: unknown[] = [];
      for (const item of it ?? []) {
        const args = spread && Array.isArray(item) ? item : [item];
        if (t.options.args) validateSchema(t.name, "args", t.options.args, args);
        out.push(await (t.options.bind ? fn(self, ...args) : fn(...args)));
      }
      return out;
    });
  }
  register("celery.chunks", async (self: TaskContext, ...a: unknown[]) => {
    const { task, it, n } = mapArgs(a);
    const sig = typeof task === "string" ? signatureFields({ task }) : task;
    const res = await app.applySignature(chunksDict(sig, it as unknown[][], n ?? 1), [], {
      parentId: self.request.id, rootId: self.request.rootId,
    });
    return res.asTuple();
  });
}
