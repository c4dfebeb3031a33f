/**
 * `app.GroupResult.restore(id)`: rebuild a group result from Celery's
 * `celery-taskset-meta-<gid>` record `{"result": [[gid, parent], [member tuples]]}`, written by
 * `GroupResult.save()` here or in Python (Celery's `result_from_tuple`).
 * @module
 */
import { ConfigError } from "./errors.ts";
import { GroupResult } from "./group-result.ts";
import { AsyncResult, type ResultHost } from "./result.ts";

/** Rebuild a saved group, or null when no record exists. */
export async function restoreGroup(host: ResultHost, groupId: string): Promise<GroupResult | null> {
  if (!host.backend.restoreGroup) throw new ConfigError(`backend ${host.backend.name} cannot restore groups (no restoreGroup)`);
  const rec = await host.backend.restoreGroup(groupId);
  if (rec == null) return null;
  const tuple = (rec as { result?: unknown }).result;
  const r = fromTuple(host, tuple);
  if (!(r instanceof GroupResult)) throw new ConfigError(`celery-taskset-meta-${groupId} does not hold a group`);
  return r;
}

/** Celery's `result_from_tuple`: `[[id, parent], children]` with children for groups, else null. */
export function fromTuple(host: ResultHost, tuple: unknown): AsyncResult {
  if (!Array.isArray(tuple) || !Array.isArray(tuple[0]) || typeof tuple[0][0] !== "string") {
    throw new ConfigError(`not a Celery result tuple: ${JSON.stringify(tuple)}`);
  }
  const [[id, parent], children] = tuple as [[string, unknown], unknown];
  const p = parent == null ? null : fromTuple(host, parent);
  if (Array.isArray(children)) return new GroupResult(id, children.map((c) => fromTuple(host, c)), host, p);
  return new AsyncResult(id, host, p);
}
