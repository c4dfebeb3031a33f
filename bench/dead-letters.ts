/**
 * Dead letters stay bounded: heap of the memory broker after 100k dead letters (tasks nobody
 * registered), and LLEN/TTL of `_celeriac.dead` on a redis-server of its own behind the local
 * Upstash endpoint.
 *
 *   npx tsx --expose-gc bench/dead-letters.ts      (needs redis-server on PATH)
 */
import process from "node:process";
import { Redis } from "@upstash/redis";
import { Redis as IORedis } from "ioredis";
import { Celeriac, encodeMessage, type PullBroker } from "../mod.ts";
import { upstashRedis } from "../adapters/upstash-redis/mod.ts";
import { startDevServer } from "../workers/node/dev-server.ts";
import { spawnRedis } from "../test/support/redis.ts";

const N = Number(process.env.BENCH_DEAD_N ?? 100_000);
const gc = (globalThis as { gc?: () => void }).gc;
const heapMb = (): number => {
  gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

async function memory(): Promise<void> {
  const app = new Celeriac("dead");
  const broker = app.broker as PullBroker;
  const base = heapMb();
  for (let i = 0; i < N; i += 1000) {
    const batch = Array.from({ length: 1000 }, (_, j) => app.buildMessage("tasks.nobody", [i + j, "x".repeat(100)]));
    await broker.publish(batch.map((m) => ({ id: m.headers.id, queue: "celery", priority: 0, payload: encodeMessage(m) })));
    for (const d of await broker.claim(["celery"], { max: 1000, visibilityMs: 60_000 })) await broker.deadLetter(d, "unknown task tasks.nobody");
  }
  const kept = (await broker.deadLetters(N)).length;
  console.log(`memory: ${N} dead letters → ${kept} kept, heap +${(heapMb() - base).toFixed(1)} MB`);
}

async function redis(): Promise<void> {
  const own = await spawnRedis();
  const server = await startDevServer({ port: 0, redisUrl: own.url });
  const raw = new IORedis(own.url);
  try {
    const n = 1500;
    const pair = upstashRedis({ redis: new Redis({ url: server.url, token: server.token, enableTelemetry: false }), deadLetters: { max: 1000 } });
    const app = new Celeriac("dead", pair);
    for (let i = 0; i < n; i += 500) {
      await Promise.all(Array.from({ length: 500 }, (_, j) => app.sendTask("tasks.nobody", [i + j])));
      await app.worker({ prefetch: 100 }).drain();
    }
    console.log(`upstash-redis (deadLetters.max 1000): ${n} dead letters → LLEN ${await raw.llen("_celeriac.dead")}, TTL ${await raw.ttl("_celeriac.dead")} s`);
  } finally {
    raw.disconnect();
    await server.close();
    await own.stop();
  }
}

await memory();
await redis();
