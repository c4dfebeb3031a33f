/**
 * After a task finishes: link callbacks, the next chain step, errbacks and the chord join.
 * Every follow-up, plain or canvas, is prepared into the batch's effects, so a batch still
 * publishes once; chord sizes of canvases sent here are stored right away (before publish).
 * A completed chord is the exception: its body (or its ChordError) goes out at once.
 * @module
 */
import type { AppHost } from "../host.ts";
import { freeze, resultIds } from "../canvas/freeze.ts";
import { Plan, plan, sendPlan, storeChordSizes } from "../canvas/plan.ts";
import type { ApplyOptions } from "../canvas/signature.ts";
import { ChordError } from "../errors.ts";
import { isExceptionInfo, toExceptionInfo } from "../exceptions.ts";
import type { TaskMessage } from "../message.ts";
import { FAILURE, REVOKED, SUCCESS } from "../states.ts";
import type { SignatureDict } from "../types.ts";
import { reprOf } from "./events.ts";
import { resultWrite, type Effects } from "./outcome.ts";

/**
 * Queue a signature (of any kind) in the batch's effects; returns the id of its result. Without
 * `effects` it is sent at once instead: for a chord body, whose join keys are already gone, so
 * a worker dying before the batch flush must not take the body with it.
 */
export async function dispatch(app: AppHost, sig: SignatureDict, args: unknown[], opts: ApplyOptions, effects?: Effects): Promise<string> {
  const batch = new Plan();
  const result = plan(app, sig, args, opts, batch);
  if (!effects) await sendPlan(app, batch);
  else {
    await storeChordSizes(app, batch);
    effects.publish.push(...batch.messages);
  }
  return result.id;
}

// Follow-ups of `msg` are its children, in its tree.
const childOf = (msg: TaskMessage): ApplyOptions => ({ parentId: msg.headers.id, rootId: msg.headers.root_id });

/** Apply callbacks and the next chain step with the return value. Returns the child ids. */
export async function onSuccess(app: AppHost, msg: TaskMessage, retval: unknown, effects: Effects): Promise<string[]> {
  const base = childOf(msg);
  const children: string[] = [];
  for (const cb of msg.embed.callbacks ?? []) children.push(await dispatch(app, cb, [retval], base, effects));
  const chain = [...msg.embed.chain ?? []];
  const next = chain.pop();
  if (next) children.push(await dispatch(app, next, [retval], { ...base, chain }, effects));
  return children;
}

/** Send errbacks with the failed task's id (Celery's old-style errback call). */
export async function onFailure(app: AppHost, msg: TaskMessage, effects: Effects): Promise<void> {
  for (const eb of msg.embed.errbacks ?? []) await dispatch(app, eb, [msg.headers.id], childOf(msg), effects);
}

/**
 * A chord header member finished: record it in the join and, if it was the last one, fire
 * the body with the ordered results, or store ChordError on the body and call its errbacks
 * when a member failed or was revoked (Celery's `on_chord_part_return`). The join keys are
 * deleted only after that, so a failure in between loses nothing: the join hands the entries
 * to the member that completed it and to nobody else, so only that member, redelivered, sends
 * the body again (a second copy only if it died between the publish and `chordDone`).
 */
export async function onChordPart(app: AppHost, msg: TaskMessage, state: string, result: unknown): Promise<void> {
  const gid = msg.headers.group;
  if (!msg.embed.chord || !gid) return;
  const body = freeze(msg.embed.chord);
  const index = msg.headers.group_index ?? 0;
  const ttl = (app.conf.resultExpires || 86_400) * 1000;
  const entries = await app.backend.chordJoin(gid, index, JSON.stringify([1, msg.headers.id, state, result]), ttl);
  if (!entries) return;
  const parts = entries.map((e) => JSON.parse(e) as [number, string, string, unknown]);
  const base = childOf(msg);
  const failed = parts.find(([, , s]) => s === FAILURE || s === REVOKED);
  if (!failed) await dispatch(app, body, [parts.filter(([, , s]) => s === SUCCESS).map(([, , , v]) => v)], base);
  else {
    const err = new ChordError(`Dependency ${failed[1]} raised ${isExceptionInfo(failed[3]) ? reprOf(failed[3], true) : String(failed[3])}`);
    const ids = resultIds(body);
    await app.backend.set(ids.map((id) => resultWrite(app, id, FAILURE, toExceptionInfo(err), { parentId: msg.headers.id })));
    for (const eb of body.options.link_error ?? []) await dispatch(app, eb, [ids[0]], { ...base, parentId: ids[0] });
  }
  // Only now may the join go: if sending failed, this member is redelivered, re-joins and fires.
  await app.backend.chordDone(gid);
}

