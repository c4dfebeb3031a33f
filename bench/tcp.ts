/**
 * `tsx bench/tcp.ts`: the long-running brokers side by side. Per adapter (TCP Redis, AMQP with
 * results in Redis): processed tasks/s for BENCH_N no-op tasks (one worker, concurrency 50),
 * send→result p50/p99 over 500 sequential tasks, send→start p50; and the commands an idle TCP
 * Redis worker sends over BENCH_IDLE_S seconds (INFO commandstats on a private redis-server).
 *
 *   BENCH_N=10000  BENCH_IDLE_S=60  AMQP_URL=amqp://guest:guest@127.0.0.1:5672//
 */
import process from "node:process";
import { Redis } from "ioredis";
import { Celeriac, type Broker, type ResultBackend } from "../mod.ts";
import { redis, redisBackend } from "../adapters/redis/mod.ts";
import { amqpBroker } from "../adapters/amqp/mod.ts";
import { spawnRedis } from "../test/support/redis.ts";
import { deleteAll } from "../test/support/amqp.ts";

const N = Number(process.env.BENCH_N ?? 10_000);
const IDLE_S = Number(process.env.BENCH_IDLE_S ?? 60);
const AMQP_URL = process.env.AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672//";
const now = (): number => performance.timeOrigin + performance.now();

const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function scenario(name: string, broker: Broker, backend: ResultBackend): Promise<Record<string, string | number>> {
  const app = new Celeriac(`bench-${name}`, { broker, backend, conf: { resultExpires: 600 } });
  let done = 0;
  let onDone = (): void => {};
  const starts: number[] = [];
  const noop = app.task("bench.noop", () => {
    if (++done === N) onDone();
    return null;
  });
  const stamp = app.task("bench.stamp", (sentAt: number) => void starts.push(now() - sentAt));
  // Queue N first, then time one worker (concurrency 50) through them.
  for (let i = 0; i < N; i += 500) await Promise.all(Array.from({ length: Math.min(500, N - i) }, () => noop.delay()));
  const stop = new AbortController();
  const all = new Promise<void>((r) => (onDone = r));
  const t0 = now();
  const loop = app.worker({ concurrency: 50, onError: () => {} }).run({ signal: stop.signal });
  await all;
  const seconds = (now() - t0) / 1000;
  const lat: number[] = [];
  for (let i = 0; i < 500; i++) {
    const s = now();
    await (await noop.delay()).get({ timeout: 10_000 });
    lat.push(now() - s);
  }
  for (let i = 0; i < 200; i++) await (await stamp.delay(now())).get({ timeout: 10_000 });
  stop.abort();
  await loop;
  return {
    adapter: name, tasks: N, "tasks/s": Math.round(N / seconds),
    "send→result p50 ms": +pct(lat, 50).toFixed(2), "p99 ms": +pct(lat, 99).toFixed(2), "send→start p50 ms": +pct(starts, 50).toFixed(2),
  };
}

async function idleCommands(url: string): Promise<number> {
  const pair = redis(url, { prefix: "idle:" });
  const app = new Celeriac("bench-idle", pair);
  const t = app.task("bench.noop", () => null);
  const stop = new AbortController();
  const loop = app.worker({ concurrency: 50 }).run({ signal: stop.signal });
  await (await t.delay()).get({ timeout: 10_000 });
  await new Promise((r) => setTimeout(r, 1000)); // settle into the blocking wait
  const admin = new Redis(url);
  await admin.config("RESETSTAT");
  await new Promise((r) => setTimeout(r, IDLE_S * 1000));
  const info = await admin.info("commandstats");
  let calls = 0;
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) if (!/^(info|config)/.test(m[1])) calls += Number(m[2]);
  admin.disconnect();
  stop.abort();
  await loop;
  await pair.close();
  return calls / (IDLE_S / 60);
}

const server = await spawnRedis();
const rows: Record<string, string | number>[] = [];
try {
  const r = redis(server.url, { prefix: "bench:" });
  rows.push(await scenario("redis (TCP, ioredis)", r.broker, r.backend));
  await r.close();
  const prefix = `celeriac-bench.${Date.now()}.`;
  const amqp = amqpBroker(AMQP_URL, { prefix, prefetch: 50 });
  const backend = redisBackend(server.url, { prefix: "bench-amqp:" });
  try {
    rows.push(await scenario("amqp (RabbitMQ) + redis results", amqp, backend));
  } finally {
    const names = amqp.declared();
    await amqp.close();
    await backend.close();
    await deleteAll(AMQP_URL, names);
  }
  console.table(rows);
  console.log(`idle TCP Redis worker: ${(await idleCommands(server.url)).toFixed(2)} commands/min over ${IDLE_S} s (INFO commandstats, private redis-server)`);
} finally {
  await server.stop();
}
