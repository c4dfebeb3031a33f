/**
 * How `AsyncResult.get` and `GroupResult.get` wait: on a backend with `watch`, listen first,
 * read once, then apply the records the change notifications carry (a notification without a
 * record means "read again"), so a wait costs one read and one subscription however long it
 * lasts; on other backends, poll with growing delays.
 * @module
 */
import { ResultTimeoutError } from "./errors.ts";
import type { RecordUpdate, ResultBackend } from "./ports.ts";
import { PENDING, READY_STATES } from "./states.ts";
import type { ResultMeta } from "./types.ts";
import { Wake } from "./util/wake.ts";

/** What one wait needs: the ids to read, how to judge a snapshot, the caller's options. */
export interface WaitSpec<R> {
  /** The handle's id (for `ResultTimeoutError`). */
  id: string;
  /** The records to read (each once). */
  ids: string[];
  /** `done: true` ends the wait with `value`; a throw ends it with that error. */
  judge(snap: ReadonlyMap<string, ResultMeta | null>): { done: boolean; value?: R };
  /** Why it is not ready yet, for the timeout's message. */
  hint?(snap: ReadonlyMap<string, ResultMeta | null>): string;
  timeout?: number;
  interval?: number;
  signal?: AbortSignal;
}

/** Wait until `judge` says done (see the module doc). */
export async function waitForRecords<R>(backend: ResultBackend, spec: WaitSpec<R>): Promise<R> {
  const wait = pollDelays(spec.interval);
  const deadline = spec.timeout != null ? Date.now() + spec.timeout : Infinity;
  const timeout = (hint?: string): ResultTimeoutError => new ResultTimeoutError(spec.id, spec.timeout!, hint);
  const ids = [...new Set(spec.ids)];
  const changed = new Wake();
  const updates = new Map<string, ResultMeta>();
  let reread = true;
  const onChange = (u?: RecordUpdate): void => {
    if (u) updates.set(u.taskId, u.meta);
    else reread = true;
    changed.fire();
  };
  const unwatch = await settleBy(Promise.resolve(backend.watch?.(ids, onChange)).catch(() => undefined), deadline, spec.signal, timeout);
  const snap = new Map<string, ResultMeta | null>();
  try {
    for (;;) {
      spec.signal?.throwIfAborted();
      if (reread || !unwatch) {
        reread = false;
        const read = ids.length === 1 ? backend.get(ids[0]).then((m) => [m]) : backend.mget(ids);
        const metas = await settleBy(read, deadline, spec.signal, timeout);
        ids.forEach((id, i) => snap.set(id, metas[i] ?? null));
      }
      // A notification is at least as new as the read, except a late non-final one after a final read.
      for (const [id, m] of updates) if (!READY_STATES.has(snap.get(id)?.status ?? PENDING) || READY_STATES.has(m.status)) snap.set(id, m);
      updates.clear();
      const out = spec.judge(snap);
      if (out.done) return out.value as R;
      const left = deadline - Date.now();
      if (left <= 0) throw timeout(spec.hint?.(snap));
      // Without `watch` nothing fires `changed`: the wait is the poll delay.
      await changed.next(unwatch ? left : Math.min(wait(), left), spec.signal);
    }
  } finally {
    await unwatch?.();
  }
}

/**
 * @internal `p`, unless `deadline` (epoch ms) passes first (rejects with `onTimeout()`) or
 * `signal` aborts first (rejects with its reason); whatever `p` does later is ignored.
 */
export function settleBy<T>(p: Promise<T>, deadline: number, signal: AbortSignal | undefined, onTimeout: () => Error): Promise<T> {
  if (deadline === Infinity && !signal) return p;
  return new Promise<T>((resolve, reject) => {
    const finish = (settle: () => void): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      settle();
    };
    const onAbort = (): void => finish(() => reject(signal!.reason));
    const timer = deadline < Infinity ? setTimeout(() => finish(() => reject(onTimeout())), Math.max(0, deadline - Date.now())) : undefined;
    if (signal?.aborted) return onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    p.then((v) => finish(() => resolve(v)), (e: unknown) => finish(() => reject(e)));
  });
}

/** @internal the delays between polls: fixed when `interval` is given, else 50 ms × 1.5ⁿ up to 1 s */
export function pollDelays(interval?: number): () => number {
  let next = 50;
  return () => {
    if (interval != null) return interval;
    const d = next;
    next = Math.min(1000, next * 1.5);
    return d;
  };
}

/** @internal what a record that is still not ready says about why, for `ResultTimeoutError` */
export function stateHint(meta: ResultMeta | null | undefined): string {
  const state = meta?.status ?? PENDING;
  if (state === PENDING) return "state PENDING: no worker has started it; is a worker running and consuming its queue?";
  if (state === "STARTED") return "state STARTED: a worker is running it";
  if (state === "RETRY") return "state RETRY: it failed and waits for its next attempt";
  return `state ${state}`;
}
