/**
 * After a task finishes: link callbacks, the next chain step, errbacks and the chord join.
 * Plain signatures become messages in the batch's effects; canvas signatures are sent at once.
 * @module
 */
import type { Celeriac } from "../app.ts";
import { mergeArgs, type ApplyOptions } from "../canvas/signature.ts";
import { ChordError } from "../errors.ts";
import { toExceptionInfo } from "../exceptions.ts";
import type { TaskMessage } from "../message.ts";
import { FAILURE, REVOKED, SUCCESS } from "../states.ts";
import type { ExceptionInfo, SignatureDict } from "../types.ts";
import { uuid } from "../util/id.ts";
import { resultWrite, type Effects } from "./outcome.ts";

/** Queue a signature: plain ones join the batch, canvas ones are sent now. Returns the task id. */
export async function dispatch(app: Celeriac, sig: SignatureDict, args: unknown[], opts: ApplyOptions, effects: Effects): Promise<string> {
  const taskId = sig.options?.task_id ?? uuid();
  const withId: SignatureDict = { ...sig, options: { ...sig.options, task_id: taskId } };
  if (sig.subtask_type) {
    const r = await app.applySignature(withId, args, opts);
    return r.id;
  }
  const o = { ...app.signatureOptions(withId), ...opts, kwargs: { ...sig.kwargs, ...opts.kwargs } };
  effects.publish.push(app.buildMessage(sig.task, mergeArgs(sig, args), o));
  return taskId;
}

/** Apply callbacks and the next chain step with the return value. Returns the child ids. */
export async function onSuccess(app: Celeriac, msg: TaskMessage, retval: unknown, effects: Effects): Promise<string[]> {
  const h = msg.headers;
  const base: ApplyOptions = { parentId: h.id, rootId: h.root_id };
  const children: string[] = [];
  for (const cb of msg.embed.callbacks ?? []) children.push(await dispatch(app, cb, [retval], base, effects));
  const chain = msg.embed.chain ? [...msg.embed.chain] : [];
  const next = chain.pop();
  if (next) children.push(await dispatch(app, next, [retval], { ...base, chain }, effects));
  return children;
}

/** Send errbacks with the failed task's id (Celery's old-style errback call). */
export async function onFailure(app: Celeriac, msg: TaskMessage, effects: Effects): Promise<void> {
  const h = msg.headers;
  for (const eb of msg.embed.errbacks ?? []) await dispatch(app, eb, [h.id], { parentId: h.id, rootId: h.root_id }, effects);
}

/**
 * A chord header member finished: record it in the join and, if it was the last one, fire
 * the body with the ordered results, or store ChordError on the body when a member failed.
 */
export async function onChordPart(app: Celeriac, msg: TaskMessage, state: string, result: unknown, effects: Effects): Promise<void> {
  const body = msg.embed.chord;
  const gid = msg.headers.group;
  if (!body || !gid) return;
  const index = msg.headers.group_index ?? 0;
  const ttl = (app.conf.resultExpires || 86_400) * 1000;
  const entries = await app.backend.chordJoin(gid, index, JSON.stringify([1, msg.headers.id, state, result]), ttl);
  if (!entries) return;
  const parts = entries.map((e) => JSON.parse(e) as [number, string, string, unknown]);
  const failed = parts.find(([, , s]) => s === FAILURE || s === REVOKED);
  const bodyId = body.options?.task_id ?? uuid();
  if (failed) {
    const exc = failed[3] as ExceptionInfo;
    const desc = exc && typeof exc === "object" && "exc_type" in exc
      ? `${exc.exc_type}(${(exc.exc_message ?? []).map((m) => JSON.stringify(m)).join(", ")})` : String(exc);
    const err = new ChordError(`Dependency ${failed[1]} raised ${desc}`);
    effects.results.push(resultWrite(app, bodyId, FAILURE, toExceptionInfo(err), { parentId: msg.headers.id }));
    for (const eb of body.options?.link_error ?? []) {
      await dispatch(app, eb, [bodyId], { parentId: bodyId, rootId: msg.headers.root_id }, effects);
    }
    return;
  }
  const values = parts.filter(([, , s]) => s === SUCCESS).map(([, , , v]) => v);
  await dispatch(app, { ...body, options: { ...body.options, task_id: bodyId } }, [values], {
    parentId: msg.headers.id, rootId: msg.headers.root_id,
  }, effects);
}
