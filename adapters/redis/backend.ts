import type { Redis } from "ioredis";
import type { ResultBackend, ResultWrite, WorkerInfo } from "../../src/ports.ts";
import type { ResultMeta } from "../../src/types.ts";
import { brokerKeys, RECENT_MAX, resultKeys, type BrokerKeys, type ResultKeys } from "../upstash-redis/keys.ts";
import { chordJoin, settle } from "../upstash-redis/lua/mod.ts";
import { connect, runScript, type RedisConnectionOptions, type RedisLike } from "./client.ts";
import { ADAPTER, guard } from "./errors.ts";
import { redisRecent } from "./stats.ts";
import { recordWorkerOn, workersOn } from "./presence.ts";
import { ResultChannels } from "./watch.ts";

/** Options of `redisBackend`. */
export interface RedisBackendOptions extends RedisConnectionOptions {
  /** Put in front of every key, like Celery's `global_keyprefix` (default none). */
  prefix?: string;
}

/**
 * Celery's Redis result backend over TCP: records in `celery-task-meta-<id>` (SET with expiry +
 * PUBLISH on the key's channel), chords in `celery-taskset-meta-<gid>.j`, and `watch` on those
 * channels so `AsyncResult.get` waits for the PUBLISH instead of polling.
 */
export class RedisBackend implements ResultBackend {
  readonly name = ADAPTER;
  readonly redis: Redis;
  readonly keys: ResultKeys;
  private readonly owned: boolean;
  private readonly channels: ResultChannels;

  constructor(target: RedisLike, opts: RedisBackendOptions = {}) {
    ({ redis: this.redis, owned: this.owned } = connect(target, opts));
    this.keys = resultKeys(opts.prefix ?? "");
    this.channels = new ResultChannels(this.redis, opts.timeoutMs ?? 10_000);
  }

  recordWorker(info: WorkerInfo, ttlMs: number): Promise<void> {
    return recordWorkerOn(this.redis, this.keys.prefix, info, ttlMs);
  }

  workers(): Promise<WorkerInfo[]> {
    return workersOn(this.redis, this.keys.prefix);
  }

  get(taskId: string): Promise<ResultMeta | null> {
    return guard("get", async () => parseMeta(await this.redis.get(this.keys.meta(taskId))));
  }

  mget(taskIds: string[]): Promise<(ResultMeta | null)[]> {
    if (!taskIds.length) return Promise.resolve([]);
    return guard("mget", async () => (await this.redis.mget(...taskIds.map((id) => this.keys.meta(id)))).map(parseMeta));
  }

  /** One script call for the whole batch: SET PX + PUBLISH per record, a stored SUCCESS kept. */
  async set(writes: ResultWrite[]): Promise<void> {
    if (writes.length) await settleOn(this.redis, brokerKeys(this.keys.prefix), [], writes);
  }

  /** The newest records of the `recent` index: two commands (stats.ts). */
  recent(limit: number): Promise<ResultMeta[]> {
    return redisRecent(this.redis, this.keys, limit);
  }

  delete(taskIds: string[]): Promise<void> {
    if (!taskIds.length) return Promise.resolve();
    return guard("delete", async () => void await this.redis.del(...taskIds.map((id) => this.keys.meta(id))));
  }

  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    const k = this.keys.custom(key);
    return guard("setIfAbsent", async () => (await (ttlMs > 0 ? this.redis.set(k, value, "PX", ttlMs, "NX") : this.redis.set(k, value, "NX"))) === "OK");
  }

  release(key: string): Promise<void> {
    return guard("release", async () => void await this.redis.del(this.keys.custom(key)));
  }

  saveGroup(groupId: string, record: string, ttlMs: number): Promise<void> {
    const k = this.keys.custom(`celery-taskset-meta-${groupId}`);
    return guard("saveGroup", async () => void await (ttlMs > 0 ? this.redis.set(k, record, "PX", ttlMs) : this.redis.set(k, record)));
  }

  restoreGroup(groupId: string): Promise<unknown | null> {
    return guard("restoreGroup", async () => parseMeta(await this.redis.get(this.keys.custom(`celery-taskset-meta-${groupId}`))));
  }

  chordSize(groupId: string, size: number, ttlMs: number): Promise<void> {
    const k = this.keys.chordSize(groupId);
    return guard("chordSize", async () => void await (ttlMs > 0 ? this.redis.set(k, String(size), "PX", ttlMs) : this.redis.set(k, String(size))));
  }

  chordDone(groupId: string): Promise<void> {
    const k = this.keys;
    return guard("chordDone", async () =>
      void await this.redis.multi().del(k.chordJoin(groupId), k.chordSize(groupId), k.chordExtra(groupId))
        .set(k.chordFired(groupId), "done", "KEEPTTL", "XX").exec());
  }

  async chordJoin(groupId: string, index: number, entry: string, ttlMs: number): Promise<string[] | null> {
    const k = this.keys;
    const entries = await runScript(this.redis, chordJoin, {
      keys: { join: k.chordJoin(groupId), size: k.chordSize(groupId), extra: k.chordExtra(groupId), fired: k.chordFired(groupId) },
      args: [index, entry, ttlMs > 0 ? ttlMs : 0],
    });
    return Array.isArray(entries) ? entries.map(String) : null;
  }

  /** Listen on the records' `celery-task-meta-<id>` channels (one shared subscriber connection). */
  watch(taskIds: string[], onChange: () => void): Promise<() => Promise<void>> {
    return this.channels.watch(taskIds.map((id) => this.keys.meta(id)), onChange);
  }

  /** Stop listening; quit the client when this backend created it. */
  async close(): Promise<void> {
    this.channels.close();
    if (this.owned) await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/** Ack `tags` and store `results` in one script call (the broker's ack and `set` share it); the ids join the `recent` index. */
export async function settleOn(redis: Redis, keys: BrokerKeys, tags: string[], results: ResultWrite[]): Promise<void> {
  const meta = resultKeys(keys.prefix);
  await runScript(redis, settle, {
    keys: { unacked: keys.unacked, unackedIndex: keys.unackedIndex, recent: meta.recent },
    more: results.map((r) => meta.meta(r.meta.task_id)),
    args: [tags.length, ...tags, ...results.flatMap((r) => [JSON.stringify(r.meta), r.ttlMs ?? 0]), Date.now(), RECENT_MAX],
  });
}

function parseMeta(v: string | null): ResultMeta | null {
  return v == null ? null : (JSON.parse(v) as ResultMeta);
}

/** Create a TCP Redis result backend from a `redis://` URL or an ioredis client. */
export function redisBackend(target: RedisLike, opts: RedisBackendOptions = {}): RedisBackend {
  return new RedisBackend(target, opts);
}
