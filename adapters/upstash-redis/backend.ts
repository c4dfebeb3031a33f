import type { Redis } from "@upstash/redis";
import type { ResultBackend, ResultWrite, WorkerInfo } from "../../src/ports.ts";
import type { ResultMeta } from "../../src/types.ts";
import { ADAPTER, callSite, guard, type CallSite } from "./errors.ts";
import { brokerKeys, RECENT_MAX, resultKeys, type BrokerKeys, type ResultKeys } from "./keys.ts";
import { chordJoin, settle } from "./lua/mod.ts";
import { upstashRecent } from "./stats.ts";
import { recordWorkerOn, workersOn } from "./presence.ts";
import type { RecordWatch, UpstashSse } from "./sse-waits.ts";

/** Options of `upstashRedisBackend`. */
export interface UpstashRedisBackendOptions {
  /** An `@upstash/redis` client. */
  redis: Redis;
  /** Put in front of every key, like Celery's `global_keyprefix` (default none). */
  prefix?: string;
  /** Deadline of every call in ms (default 10 000): then a retryable `AdapterError`. */
  timeoutMs?: number;
  /**
   * With `sse`, `get()` waits on an SSE subscription to the record's channel (default true);
   * false polls. A subscription is renewed after `subscriptionMs` (default 600 000), with one more read.
   */
  watch?: boolean;
  /** `upstashSse` (from this module) enables `watch`; without it `get()` polls. The CLI passes it. */
  sse?: UpstashSse;
  subscriptionMs?: number;
}

/**
 * Celery's Redis result backend over Upstash: records in `celery-task-meta-<id>` (SET with
 * expiry + PUBLISH), groups read with one MGET, chords joined in `celery-taskset-meta-<gid>.j`.
 */
export class UpstashRedisBackend implements ResultBackend {
  readonly name = ADAPTER;
  readonly redis: Redis;
  readonly keys: ResultKeys;
  /** Endpoint and deadline of every call. */
  readonly site: CallSite;
  /** Listen for the records of `taskIds` over SSE (one request; see `./watch.ts`); only with `sse`. */
  watch?: RecordWatch;
  private readonly watchOpts: { watch?: boolean; subscriptionMs?: number };

  constructor(opts: UpstashRedisBackendOptions) {
    this.redis = opts.redis;
    this.keys = resultKeys(opts.prefix ?? "");
    this.site = callSite(opts.redis, opts.timeoutMs);
    this.watchOpts = opts;
    if (opts.sse) this.useSse(opts.sse);
  }

  /** Give `get()` SSE record watches (option `sse`; the CLI calls it for a backend built without). */
  useSse(sse: UpstashSse): void {
    if (!this.watch && this.watchOpts.watch !== false) this.watch = sse.watcher(this.redis, this.keys, this.site, this.watchOpts.subscriptionMs ?? 600_000);
  }

  recordWorker(info: WorkerInfo, ttlMs: number): Promise<void> {
    return recordWorkerOn(this.redis, this.keys.prefix, info, ttlMs, this.site);
  }

  workers(): Promise<WorkerInfo[]> {
    return workersOn(this.redis, this.keys.prefix, this.site);
  }

  get(taskId: string): Promise<ResultMeta | null> {
    return guard("get", async () => parseMeta(await this.redis.get<unknown>(this.keys.meta(taskId))), this.site);
  }

  mget(taskIds: string[]): Promise<(ResultMeta | null)[]> {
    if (!taskIds.length) return Promise.resolve([]);
    return guard("mget", async () => (await this.redis.mget<unknown[]>(...taskIds.map((id) => this.keys.meta(id)))).map(parseMeta), this.site);
  }

  /** One script call for the whole batch: SET PX + PUBLISH per record, a stored SUCCESS kept. */
  async set(writes: ResultWrite[]): Promise<void> {
    if (writes.length) await settleOn(this.redis, brokerKeys(this.keys.prefix), [], writes, this.site);
  }

  /** The newest records of the `recent` index: two requests (stats.ts). */
  recent(limit: number): Promise<ResultMeta[]> {
    return upstashRecent(this.redis, this.keys, limit, this.site);
  }

  delete(taskIds: string[]): Promise<void> {
    if (!taskIds.length) return Promise.resolve();
    return guard("delete", async () => void await this.redis.del(...taskIds.map((id) => this.keys.meta(id))), this.site);
  }

  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    const k = this.keys.custom(key);
    return guard("setIfAbsent", async () =>
      (await (ttlMs > 0 ? this.redis.set(k, value, { nx: true, px: ttlMs }) : this.redis.set(k, value, { nx: true }))) === "OK", this.site);
  }

  release(key: string): Promise<void> {
    return guard("release", async () => void await this.redis.del(this.keys.custom(key)), this.site);
  }

  saveGroup(groupId: string, record: string, ttlMs: number): Promise<void> {
    const k = this.keys.custom(`celery-taskset-meta-${groupId}`);
    return guard("saveGroup", async () => void await (ttlMs > 0 ? this.redis.set(k, record, { px: ttlMs }) : this.redis.set(k, record)));
  }

  restoreGroup(groupId: string): Promise<unknown | null> {
    return guard("restoreGroup", async () => parseMeta(await this.redis.get<unknown>(this.keys.custom(`celery-taskset-meta-${groupId}`))));
  }

  chordSize(groupId: string, size: number, ttlMs: number): Promise<void> {
    const k = this.keys.chordSize(groupId);
    return guard("chordSize", async () => void await (ttlMs > 0 ? this.redis.set(k, String(size), { px: ttlMs }) : this.redis.set(k, String(size))), this.site);
  }

  /** Delete the join keys and mark the chord done (`.f`, keeping its TTL): late members record nothing. */
  chordDone(groupId: string): Promise<void> {
    const k = this.keys;
    return guard("chordDone", async () =>
      void await this.redis.multi().del(k.chordJoin(groupId), k.chordSize(groupId), k.chordExtra(groupId))
        .set(k.chordFired(groupId), "done", { xx: true, keepTtl: true }).exec(), this.site);
  }

  async chordJoin(groupId: string, index: number, entry: string, ttlMs: number): Promise<string[] | null> {
    const k = this.keys;
    const entries = await chordJoin.run(this.redis, {
      keys: { join: k.chordJoin(groupId), size: k.chordSize(groupId), extra: k.chordExtra(groupId), fired: k.chordFired(groupId) },
      args: [index, entry, ttlMs > 0 ? ttlMs : 0],
    }, this.site);
    return Array.isArray(entries) ? entries.map(String) : null;
  }
}

/** Ack `tags` and store `results` in one script call (the broker's ack and `set` share it); the ids join the `recent` index. */
export async function settleOn(redis: Redis, keys: BrokerKeys, tags: string[], results: ResultWrite[], site?: CallSite): Promise<void> {
  const meta = resultKeys(keys.prefix);
  await settle.run(redis, {
    keys: { unacked: keys.unacked, unackedIndex: keys.unackedIndex, recent: meta.recent },
    more: results.map((r) => meta.meta(r.meta.task_id)),
    args: [tags.length, ...tags, ...results.flatMap((r) => [JSON.stringify(r.meta), r.ttlMs ?? 0]), Date.now(), RECENT_MAX],
  }, site);
}

// The client parses JSON replies by default; with `automaticDeserialization: false` we do.
function parseMeta(v: unknown): ResultMeta | null {
  if (v == null) return null;
  return (typeof v === "string" ? JSON.parse(v) : v) as ResultMeta;
}

/** Create an Upstash Redis result backend. */
export function upstashRedisBackend(opts: UpstashRedisBackendOptions): UpstashRedisBackend {
  return new UpstashRedisBackend(opts);
}
