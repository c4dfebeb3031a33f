import type { ResultBackend, ResultWrite, WorkerInfo } from "../../src/ports.ts";
import type { ResultMeta } from "../../src/types.ts";

/** Options of `memoryBackend`. */
export interface MemoryBackendOptions {
  /** Clock in epoch ms (tests pass a controllable one). */
  now?: () => number;
}

/**
 * The embedded in-process result backend. Values are kept as JSON strings under Celery's key
 * names, with TTLs, so it behaves like the Redis backend (copies, not shared objects).
 */
export class MemoryBackend implements ResultBackend {
  readonly name = "memory";
  private readonly now: () => number;
  private readonly kv = new Map<string, { value: string; until: number }>();
  private readonly joins = new Map<string, { entries: Map<number, string>; until: number }>();
  private writes = 0;
  /** Ids of the records written most recently, oldest first (Map keeps insertion order). */
  private readonly recentIds = new Map<string, true>();
  private sweepEvery = 1024;
  /** `watch` listeners by task id. */
  private readonly watchers = new Map<string, Set<() => void>>();

  constructor(opts: MemoryBackendOptions = {}) {
    this.now = opts.now ?? Date.now;
  }

  get(taskId: string): Promise<ResultMeta | null> {
    const v = this.read(metaKey(taskId));
    return Promise.resolve(v == null ? null : JSON.parse(v) as ResultMeta);
  }

  async mget(taskIds: string[]): Promise<(ResultMeta | null)[]> {
    return await Promise.all(taskIds.map((id) => this.get(id)));
  }

  set(writes: ResultWrite[]): Promise<void> {
    for (const w of writes) {
      const k = metaKey(w.meta.task_id);
      const cur = this.read(k);
      if (cur != null && (JSON.parse(cur) as ResultMeta).status === "SUCCESS") continue;
      this.write(k, JSON.stringify(w.meta), w.ttlMs);
      this.recentIds.delete(w.meta.task_id);
      this.recentIds.set(w.meta.task_id, true);
      if (this.recentIds.size > RECENT_MAX) this.recentIds.delete(this.recentIds.keys().next().value!);
      this.changed(w.meta.task_id);
    }
    return Promise.resolve();
  }

  /** The records written most recently (newest first), at most `limit`; at most `RECENT_MAX` ids are kept. */
  recent(limit: number): Promise<ResultMeta[]> {
    const out: ResultMeta[] = [];
    for (const id of [...this.recentIds.keys()].reverse()) {
      if (out.length >= limit) break;
      const v = this.read(metaKey(id));
      if (v != null) out.push(JSON.parse(v) as ResultMeta);
    }
    return Promise.resolve(out);
  }

  delete(taskIds: string[]): Promise<void> {
    for (const id of taskIds) {
      this.kv.delete(metaKey(id));
      this.changed(id);
    }
    return Promise.resolve();
  }

  /** Calls `onChange` after each store or delete of one of `taskIds` (`AsyncResult.get` waits on it instead of polling). */
  watch(taskIds: string[], onChange: () => void): Promise<() => Promise<void>> {
    for (const id of taskIds) {
      let set = this.watchers.get(id);
      if (!set) this.watchers.set(id, set = new Set());
      set.add(onChange);
    }
    return Promise.resolve(() => {
      for (const id of taskIds) {
        const set = this.watchers.get(id);
        set?.delete(onChange);
        if (set?.size === 0) this.watchers.delete(id);
      }
      return Promise.resolve();
    });
  }

  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    if (this.read(key) != null) return Promise.resolve(false);
    this.write(key, value, ttlMs);
    return Promise.resolve(true);
  }

  saveGroup(groupId: string, record: string, ttlMs: number): Promise<void> {
    this.write(`celery-taskset-meta-${groupId}`, record, ttlMs);
    return Promise.resolve();
  }

  restoreGroup(groupId: string): Promise<unknown | null> {
    const v = this.read(`celery-taskset-meta-${groupId}`);
    return Promise.resolve(v == null ? null : JSON.parse(v));
  }

  release(key: string): Promise<void> {
    this.kv.delete(key);
    return Promise.resolve();
  }

  chordSize(groupId: string, size: number, ttlMs: number): Promise<void> {
    this.write(`celery-taskset-meta-${groupId}.s`, String(size), ttlMs);
    return Promise.resolve();
  }

  // The member that completes the join is recorded as the firer (`.f`): only it ever gets the
  // entries, again when it re-joins; after chordDone (`.f` = done) a late member records nothing.
  chordJoin(groupId: string, index: number, entry: string, ttlMs: number): Promise<string[] | null> {
    const jk = `celery-taskset-meta-${groupId}.j`;
    const fk = `celery-taskset-meta-${groupId}.f`;
    let j = this.joins.get(jk);
    if (j && j.until <= this.now()) {
      this.joins.delete(jk);
      j = undefined;
    }
    const ordered = (m: Map<number, string>): string[] => [...m].sort(([a], [b]) => a - b).map(([, v]) => v);
    const fired = this.read(fk);
    if (fired != null) return Promise.resolve(fired === String(index) && j ? ordered(j.entries) : null);
    if (!j) this.joins.set(jk, j = { entries: new Map(), until: 0 });
    j.entries.set(index, entry);
    j.until = ttlMs ? this.now() + ttlMs : Infinity;
    const total = Number(this.read(`celery-taskset-meta-${groupId}.s`) ?? NaN) +
      Number(this.read(`celery-taskset-meta-${groupId}.t`) ?? 0);
    if (!(j.entries.size >= total)) return Promise.resolve(null);
    this.write(fk, String(index), ttlMs);
    return Promise.resolve(ordered(j.entries));
  }

  chordDone(groupId: string): Promise<void> {
    const fired = this.kv.get(`celery-taskset-meta-${groupId}.f`);
    if (fired) fired.value = "done";
    this.joins.delete(`celery-taskset-meta-${groupId}.j`);
    this.kv.delete(`celery-taskset-meta-${groupId}.s`);
    this.kv.delete(`celery-taskset-meta-${groupId}.t`);
    return Promise.resolve();
  }

  recordWorker(info: WorkerInfo, ttlMs: number): Promise<void> {
    this.write(`celeriac-worker-${info.hostname}`, JSON.stringify(info), ttlMs);
    return Promise.resolve();
  }

  workers(): Promise<WorkerInfo[]> {
    const out: WorkerInfo[] = [];
    for (const k of [...this.kv.keys()]) {
      if (!k.startsWith("celeriac-worker-")) continue;
      const v = this.read(k);
      if (v != null) out.push(JSON.parse(v) as WorkerInfo);
    }
    return Promise.resolve(out);
  }

  private changed(taskId: string): void {
    const set = this.watchers.get(taskId);
    if (!set) return;
    // Listeners run after this call returns: the store is complete when they read.
    for (const fn of set) queueMicrotask(fn);
  }

  private read(key: string): string | null {
    const e = this.kv.get(key);
    if (!e) return null;
    if (e.until <= this.now()) {
      this.kv.delete(key);
      return null;
    }
    return e.value;
  }

  private write(key: string, value: string, ttlMs: number | null): void {
    this.kv.set(key, { value, until: ttlMs ? this.now() + ttlMs : Infinity });
    // Expired keys nobody reads again would stay forever (Redis expires them actively):
    // sweep after as many writes as there were live keys, so each write pays O(1) on average.
    if (++this.writes >= this.sweepEvery) this.sweep();
  }

  /** Drop every expired key and chord join now (also done automatically as writes go by). */
  sweep(): void {
    this.writes = 0;
    const now = this.now();
    for (const [k, e] of this.kv) if (e.until <= now) this.kv.delete(k);
    for (const [k, j] of this.joins) if (j.until <= now) this.joins.delete(k);
    this.sweepEvery = Math.max(1024, this.kv.size);
  }

  /** Number of live keys (results, chord sizes, claims), for tests and monitoring. */
  get size(): number {
    return this.kv.size;
  }
}

/** How many recent ids `recent()` can draw from (the Redis adapters keep the same number). */
export const RECENT_MAX = 1000;

function metaKey(id: string): string {
  return `celery-task-meta-${id}`;
}

/** Create the embedded in-memory result backend. */
export function memoryBackend(opts: MemoryBackendOptions = {}): MemoryBackend {
  return new MemoryBackend(opts);
}
