import type { ResultBackend, ResultWrite, WorkerInfo } from "../../src/ports.ts";
import type { ResultMeta } from "../../src/types.ts";

/** Options of `memoryBackend`. */
export interface MemoryBackendOptions {
  /** Clock in epoch ms (tests pass a controllable one). */
  now?: () => number;
}

/** A chord's recorded members (Celery's `.j`), by member index. */
type ChordEntries = Map<number, string>;

/**
 * The embedded in-process result backend. Values are kept as JSON strings under Celery's key
 * names, with TTLs, so it behaves like the Redis backend (copies, not shared objects).
 */
export class MemoryBackend implements ResultBackend {
  readonly name = "memory";
  private declare readonly now: () => number;
  /** Every key (records, groups, chord keys, claims, worker presences) with its expiry. */
  private readonly kv = new Map<string, { value: string | ChordEntries; until: number }>();
  private writes = 0;
  /** Ids of the records written most recently, oldest first (Map keeps insertion order). */
  private readonly recentIds = new Map<string, true>();
  private sweepEvery = 1024;
  /** `watch` listeners with the task ids each one watches. */
  private readonly watchers = new Set<{ ids: Set<string>; onChange: () => void }>();

  constructor(opts: MemoryBackendOptions = {}) {
    this.now = opts.now ?? Date.now;
  }

  async get(taskId: string): Promise<ResultMeta | null> {
    return this.parsed([metaKey(taskId)])[0] as ResultMeta ?? null;
  }

  mget(taskIds: string[]): Promise<(ResultMeta | null)[]> {
    return Promise.all(taskIds.map((id) => this.get(id)));
  }

  async set(writes: ResultWrite[]): Promise<void> {
    for (const { meta, ttlMs } of writes) {
      const id = meta.task_id;
      if ((this.parsed([metaKey(id)])[0] as ResultMeta | undefined)?.status === "SUCCESS") continue;
      this.write(metaKey(id), JSON.stringify(meta), ttlMs);
      this.recentIds.delete(id);
      if (this.recentIds.set(id, true).size > RECENT_MAX) this.recentIds.delete(this.recentIds.keys().next().value!);
      this.changed(id);
    }
  }

  /** The records written most recently (newest first), at most `limit`; at most `RECENT_MAX` ids are kept. */
  async recent(limit: number): Promise<ResultMeta[]> {
    return (this.parsed([...this.recentIds.keys()].reverse().map(metaKey)) as ResultMeta[]).slice(0, Math.max(0, limit));
  }

  async delete(taskIds: string[]): Promise<void> {
    for (const id of taskIds) {
      this.kv.delete(metaKey(id));
      this.changed(id);
    }
  }

  /** Calls `onChange` after each store or delete of one of `taskIds` (`AsyncResult.get` waits on it instead of polling). */
  async watch(taskIds: string[], onChange: () => void): Promise<() => Promise<void>> {
    const watcher = { ids: new Set(taskIds), onChange };
    this.watchers.add(watcher);
    return async () => void this.watchers.delete(watcher);
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    const absent = this.read(key) == null;
    if (absent) this.write(key, value, ttlMs);
    return absent;
  }

  async saveGroup(groupId: string, record: string, ttlMs: number): Promise<void> {
    this.write(groupKey(groupId), record, ttlMs);
  }

  async restoreGroup(groupId: string): Promise<unknown | null> {
    return this.parsed([groupKey(groupId)])[0] ?? null;
  }

  async release(key: string): Promise<void> {
    this.kv.delete(key);
  }

  async chordSize(groupId: string, size: number, ttlMs: number): Promise<void> {
    this.write(groupKey(groupId, ".s"), String(size), ttlMs);
  }

  // The member that completes the join is recorded as the firer (`.f`): only it ever gets the
  // entries, again when it re-joins; after chordDone (`.f` = done) a late member records nothing.
  async chordJoin(groupId: string, index: number, entry: string, ttlMs: number): Promise<string[] | null> {
    const fk = groupKey(groupId, ".f");
    const fired = this.read(fk);
    let entries = this.read(groupKey(groupId, ".j")) as ChordEntries | null;
    const ordered = (): string[] => [...entries!].sort(([a], [b]) => a - b).map(([, v]) => v);
    if (fired != null) return fired === String(index) && entries ? ordered() : null;
    (entries ??= new Map()).set(index, entry);
    this.write(groupKey(groupId, ".j"), entries, ttlMs);
    const total = Number(this.read(groupKey(groupId, ".s")) ?? NaN) + Number(this.read(groupKey(groupId, ".t")) ?? 0);
    if (!(entries.size >= total)) return null;
    this.write(fk, String(index), ttlMs);
    return ordered();
  }

  async chordDone(groupId: string): Promise<void> {
    const fired = this.kv.get(groupKey(groupId, ".f"));
    if (fired) fired.value = "done";
    for (const suffix of [".j", ".s", ".t"]) this.kv.delete(groupKey(groupId, suffix));
  }

  async recordWorker(info: WorkerInfo, ttlMs: number): Promise<void> {
    this.write(WORKER_PREFIX + info.hostname, JSON.stringify(info), ttlMs);
  }

  async workers(): Promise<WorkerInfo[]> {
    return this.parsed([...this.kv.keys()].filter((k) => k.startsWith(WORKER_PREFIX))) as WorkerInfo[];
  }

  private changed(taskId: string): void {
    // Listeners run after this call returns: the store is complete when they read.
    for (const w of this.watchers) if (w.ids.has(taskId)) queueMicrotask(w.onChange);
  }

  /** The JSON values of the live `keys`, in order; missing and expired keys are left out. */
  private parsed(keys: string[]): unknown[] {
    return keys.map((k) => this.read(k)).filter((v) => v != null).map((v) => JSON.parse(v as string));
  }

  private read(key: string): string | ChordEntries | null {
    const e = this.kv.get(key);
    if (e && e.until <= this.now()) this.kv.delete(key);
    else if (e) return e.value;
    return null;
  }

  private write(key: string, value: string | ChordEntries, ttlMs: number | null): void {
    this.kv.set(key, { value, until: ttlMs ? this.now() + ttlMs : Infinity });
    // Expired keys nobody reads again would stay forever (Redis expires them actively):
    // sweep after as many writes as there were live keys, so each write pays O(1) on average.
    if (++this.writes >= this.sweepEvery) this.sweep();
  }

  /** Drop every expired key now (also done automatically as writes go by). */
  sweep(): void {
    this.writes = 0;
    const now = this.now();
    for (const [k, e] of this.kv) if (e.until <= now) this.kv.delete(k);
    this.sweepEvery = Math.max(1024, this.kv.size);
  }

  /** Number of live keys (results, chord keys, claims), for tests and monitoring. */
  get size(): number {
    return this.kv.size;
  }
}

/** How many recent ids `recent()` can draw from (the Redis adapters keep the same number). */
export const RECENT_MAX = 1000;

const WORKER_PREFIX = "celeriac-worker-";

function metaKey(id: string): string {
  return `celery-task-meta-${id}`;
}

function groupKey(groupId: string, suffix = ""): string {
  return `celery-taskset-meta-${groupId}${suffix}`;
}

/** Create the embedded in-memory result backend. */
export function memoryBackend(opts: MemoryBackendOptions = {}): MemoryBackend {
  return new MemoryBackend(opts);
}
