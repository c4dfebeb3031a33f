/**
 * The TCP Redis adapter against a real Redis (REDIS_URL, 127.0.0.1:6379 or a throw-away
 * redis-server). Every broker/backend pair gets its own key prefix under one run prefix;
 * `close()` closes every broker made and deletes the run's keys.
 */
import { Redis } from "ioredis";
import { redisBackend, redisBroker, type RedisBroker } from "../../adapters/redis/mod.ts";
import type { Fixture } from "../conformance/harness.ts";
import { deleteByPrefix, ensureRedis, uniquePrefix } from "./redis.ts";

/** A Redis for one test file. */
export interface RedisTcpEnv {
  url: string;
  /** The client every fixture pair shares. */
  client: Redis;
  runPrefix: string;
  prefix(label?: string): string;
  /** Brokers to close at the end (fixtures register theirs). */
  brokers: RedisBroker[];
  close(): Promise<void>;
}

export async function startRedisTcp(name: string): Promise<RedisTcpEnv> {
  const server = await ensureRedis();
  const client = new Redis(server.url, { maxRetriesPerRequest: null });
  client.on("error", () => {});
  const runPrefix = uniquePrefix(name);
  let n = 0;
  const brokers: RedisBroker[] = [];
  return {
    url: server.url,
    client,
    runPrefix,
    brokers,
    prefix: (label = "p") => `${runPrefix}${label}${++n}:`,
    close: async () => {
      for (const b of brokers) await b.close();
      client.disconnect();
      await deleteByPrefix(server.url, runPrefix);
      await server.stop();
    },
  };
}

/** `broker()` makes a new prefix, `backend()` reuses the latest one on the same client (one script per ack). */
export function redisTcpFixture(env: () => RedisTcpEnv): Fixture {
  let last: string | undefined;
  return {
    name: "redis",
    broker: (opts) => {
      const b = redisBroker(env().client, { ...opts, prefix: (last = env().prefix("c")) });
      env().brokers.push(b);
      return b;
    },
    backend: () => redisBackend(env().client, { prefix: last ?? env().prefix("c") }),
  };
}

/**
 * Subscribes to a broker's event fanout *before* anything starts, and resolves `online` when
 * `hostname`'s worker-online arrives. Await this, then start the worker: subscribing after the
 * start can miss the event (the subscription is a round trip; under load the worker wins).
 */
export async function watchWorkerOnline(
  events: { subscribeEvents?(onEvent: (m: { routingKey: string; payload: string }) => void): Promise<() => Promise<void>> },
  hostname: string,
): Promise<{ online: Promise<void> }> {
  let seen!: () => void;
  const online = new Promise<void>((resolve) => (seen = resolve));
  const unsubscribe = await events.subscribeEvents!((m) => m.routingKey === "worker.online" && m.payload.includes(hostname) && seen());
  return { online: online.then(unsubscribe) };
}
