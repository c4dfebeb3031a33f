/**
 * Redis over TCP (ioredis) as broker and result backend, for long-running workers on Node, Bun
 * and Deno: kombu's and Celery's exact Redis layout and the same Lua scripts as the Upstash
 * adapter, so Python Celery, Upstash and TCP workers share queues and results. Idle workers
 * block instead of polling; `AsyncResult.get` waits on the result channel.
 *
 * @example
 * ```ts
 * import { Celeriac } from "celeriac";
 * import { redis } from "celeriac/adapters/redis";
 *
 * const app = new Celeriac("tasks", redis("redis://127.0.0.1:6379/0"));
 * ```
 * @module
 */
import { RedisBackend } from "./backend.ts";
import { RedisBroker, type RedisBrokerOptions } from "./broker.ts";
import { connect, type RedisLike } from "./client.ts";

export { RedisBackend, redisBackend, type RedisBackendOptions } from "./backend.ts";
export { RedisBroker, redisBroker, type RedisBrokerOptions } from "./broker.ts";
export type { RedisConnectionOptions, RedisLike } from "./client.ts";

/** A broker and a result backend on one connection: the worker acks and stores results in one script call. */
export interface RedisPair {
  broker: RedisBroker;
  backend: RedisBackend;
  /** Close both (and the connection, when it was made from a URL). */
  close(): Promise<void>;
}

/** Broker and result backend on one Redis (URL or ioredis client) and prefix. */
export function redis(target: RedisLike, opts: RedisBrokerOptions = {}): RedisPair {
  const { redis: client, owned } = connect(target, opts);
  const broker = new RedisBroker(client, opts);
  const backend = new RedisBackend(client, opts);
  return {
    broker,
    backend,
    close: async () => {
      await broker.close();
      await backend.close();
      if (owned) await client.quit().catch(() => client.disconnect());
    },
  };
}

/** True for `redis://` and `rediss://` URLs (what `-b` hands this adapter). */
export function isRedisUrl(url: string): boolean {
  return /^rediss?:\/\//.test(url);
}
