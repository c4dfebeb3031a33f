/**
 * Sending canvas signatures (chain, group, chord, map, starmap, chunks) by `subtask_type`:
 * prepare everything, record chord sizes, then publish every message in one broker call.
 * @module
 */
import type { AppHost } from "../host.ts";
import type { AsyncResult } from "../result.ts";
import type { SignatureDict } from "../types.ts";
import { Batch, prepare } from "./prepare.ts";
import type { ApplyOptions } from "./signature.ts";

/** Send a canvas signature with `args` prepended where Celery prepends them. */
export async function applyCanvas(app: AppHost, sig: SignatureDict, args: unknown[], opts: ApplyOptions): Promise<AsyncResult> {
  const batch = new Batch();
  const result = prepare(app, sig, args, opts, batch);
  await storeChordSizes(app, batch);
  await app.publish(batch.messages);
  return result;
}

/**
 * Record the size of every chord in the batch (Celery `celery-taskset-meta-<gid>.s`). Must
 * complete before the batch's messages are published, so the member that completes a chord
 * always finds the size.
 */
export async function storeChordSizes(app: AppHost, batch: Batch): Promise<void> {
  const ttl = (app.conf.resultExpires || 86_400) * 1000;
  await Promise.all(batch.chordSizes.map((c) => app.backend.chordSize(c.groupId, c.size, ttl)));
}
