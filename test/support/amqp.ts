/**
 * The AMQP adapter against the RabbitMQ on 127.0.0.1:5672 (or $AMQP_URL), results in Redis.
 * The vhost is shared, so every broker gets its own name prefix; `close()` deletes every queue
 * and exchange the run's brokers declared.
 */
import { connect } from "amqplib";
import { Redis } from "ioredis";
import { amqpBroker, type AmqpBroker } from "../../adapters/amqp/mod.ts";
import { redisBackend } from "../../adapters/redis/mod.ts";
import type { Fixture } from "../conformance/harness.ts";
import { deleteByPrefix, ensureRedis, uniquePrefix } from "./redis.ts";

export const AMQP_URL = process.env.AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672//";

export interface AmqpEnv {
  url: string;
  redis: Redis;
  redisUrl: string;
  runPrefix: string;
  prefix(label?: string): string;
  brokers: AmqpBroker[];
  close(): Promise<void>;
}

/** Check RabbitMQ answers (or fail saying how to get it) and open a Redis for results. */
export async function startAmqp(name: string): Promise<AmqpEnv> {
  try {
    await (await connect(AMQP_URL, { timeout: 5000 })).close();
  } catch (err) {
    throw new Error(`RabbitMQ is not reachable at ${AMQP_URL} (${(err as Error).message}): install and start it with ` +
      "`apt-get install -y rabbitmq-server && service rabbitmq-server start`, or set AMQP_URL");
  }
  const server = await ensureRedis();
  const redis = new Redis(server.url, { maxRetriesPerRequest: null });
  redis.on("error", () => {});
  const runPrefix = uniquePrefix(name).replace(/:/g, ".");
  let n = 0;
  const brokers: AmqpBroker[] = [];
  return {
    url: AMQP_URL, redis, redisUrl: server.url, runPrefix, brokers,
    prefix: (label = "p") => `${runPrefix}${label}${++n}.`,
    close: async () => {
      const names = new Set(brokers.flatMap((b) => b.declared()));
      for (const b of brokers) await b.close();
      await deleteAll(AMQP_URL, [...names]);
      redis.disconnect();
      await deleteByPrefix(server.url, runPrefix);
      await server.stop();
    },
  };
}

/** Delete queues and the exchanges of the same name (missing ones are fine). */
export async function deleteAll(url: string, names: string[]): Promise<void> {
  const conn = await connect(url);
  try {
    for (const n of names) {
      const ch = await conn.createChannel();
      ch.on("error", () => {});
      await ch.deleteQueue(n).catch(() => {});
      await ch.deleteExchange(n).catch(() => {});
      await ch.close().catch(() => {});
    }
  } finally {
    await conn.close();
  }
}

/** A fixture: each broker its own prefix; backends are Redis under the latest broker's prefix. */
export function amqpFixture(env: () => AmqpEnv): Fixture {
  let last: string | undefined;
  return {
    name: "amqp",
    broker: (opts = {}) => {
      const b = amqpBroker(env().url, { ...opts, prefix: (last = env().prefix("c")) });
      env().brokers.push(b);
      return b;
    },
    backend: () => redisBackend(env().redis, { prefix: last ?? env().prefix("c") }),
  };
}
