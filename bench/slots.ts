/**
 * Slot utilisation of `run()` (#15 item 2): 50 tasks, one of them long, at concurrency 8, on the
 * memory broker and on Upstash Redis through the local endpoint. Prints the time until the
 * short tasks are done, the total time, and how much slot time stayed idle while tasks waited.
 * Then (#15 item 8) the peak number of task functions running at once when one of them runs
 * on past its hard time limit.
 *
 *   BENCH_LONG_MS=2000 BENCH_SHORT_MS=20 BENCH_TASKS=50 BENCH_CONCURRENCY=8 tsx bench/slots.ts
 */
import process from "node:process";
import { Redis } from "@upstash/redis";
import { Celeriac } from "../mod.ts";
import { memoryBackend, memoryBroker } from "../adapters/memory/mod.ts";
import { upstashRedis } from "../adapters/upstash-redis/mod.ts";
import { startDevServer } from "../workers/node/dev-server.ts";
import { deleteByPrefix, ensureRedis, uniquePrefix } from "../test/support/redis.ts";

const LONG_MS = Number(process.env.BENCH_LONG_MS ?? 2000);
const SHORT_MS = Number(process.env.BENCH_SHORT_MS ?? 20);
const TASKS = Number(process.env.BENCH_TASKS ?? 50);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function scenario(name: string, app: Celeriac): Promise<Record<string, string | number>> {
  let busy = 0;
  let shortsLeft = TASKS - 1;
  let idleSlotMs = 0;
  let last = performance.now();
  // Integrate idle slots over time while short tasks still wait or run.
  const account = (): void => {
    const now = performance.now();
    if (shortsLeft > 0) idleSlotMs += (CONCURRENCY - busy) * (now - last);
    last = now;
  };
  const work = async (ms: number, short: boolean): Promise<void> => {
    account();
    busy++;
    await sleep(ms);
    account();
    busy--;
    if (short) shortsLeft--;
  };
  app.task("bench.long", () => work(LONG_MS, false));
  app.task("bench.short", () => work(SHORT_MS, true));
  await app.publish([app.buildMessage("bench.long", []), ...Array.from({ length: TASKS - 1 }, () => app.buildMessage("bench.short", []))]);
  const stop = new AbortController();
  const t0 = performance.now();
  last = t0;
  const loop = app.worker({ concurrency: CONCURRENCY }).run({ signal: stop.signal, pollIntervalMs: 10 });
  while (shortsLeft > 0) await sleep(5);
  const shortsDone = performance.now() - t0;
  account();
  stop.abort();
  await loop;
  const total = performance.now() - t0;
  const ideal = (TASKS - 1) * SHORT_MS / (CONCURRENCY - 1);
  return {
    broker: name,
    "shorts done (ms)": Math.round(shortsDone),
    "ideal (ms)": Math.round(ideal),
    "total (ms)": Math.round(total),
    "idle slot share while shorts waited": `${Math.round(100 * idleSlotMs / (CONCURRENCY * shortsDone))}%`,
  };
}

// A task past its hard time limit (0.1 s) whose function runs on for 1 s, then 10 short ones.
async function overrun(concurrency: number): Promise<Record<string, string | number>> {
  const app = new Celeriac("bench", { broker: memoryBroker(), backend: memoryBackend() });
  let running = 0;
  let peak = 0;
  let left = 11;
  const fn = (ms: number) => async (): Promise<void> => {
    peak = Math.max(peak, ++running);
    await sleep(ms);
    running--;
    left--;
  };
  app.task("bench.stuck", { timeLimit: 0.1 }, fn(1000));
  app.task("bench.short", fn(20));
  await app.publish([app.buildMessage("bench.stuck", []), ...Array.from({ length: 10 }, () => app.buildMessage("bench.short", []))]);
  const stop = new AbortController();
  const loop = app.worker({ concurrency, onError: () => {} }).run({ signal: stop.signal, pollIntervalMs: 10 });
  while (left > 0) await sleep(5);
  stop.abort();
  await loop;
  return { concurrency, "peak functions at once": peak };
}

const overruns = [await overrun(1), await overrun(4)];
const rows = [await scenario("memory", new Celeriac("bench", { broker: memoryBroker(), backend: memoryBackend() }))];
const redis = await ensureRedis();
const server = await startDevServer({ port: 0, redisUrl: redis.url });
const prefix = uniquePrefix("bench-slots");
try {
  const client = new Redis({ url: server.url, token: server.token, enableTelemetry: false });
  rows.push(await scenario("upstash-redis (local endpoint)", new Celeriac("bench", { ...upstashRedis({ redis: client, prefix }) })));
} finally {
  await deleteByPrefix(redis.url, prefix);
  await server.close();
  await redis.stop();
}
console.log(`run(): ${TASKS} tasks (one ${LONG_MS} ms, the rest ${SHORT_MS} ms) at concurrency ${CONCURRENCY}`);
console.table(rows);
console.log("run(): a task past its hard time limit whose function runs on (memory broker)");
console.table(overruns);
