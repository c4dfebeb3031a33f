/**
 * What Celery events cost per task: drain N tasks (default 1000, prefetch 10) with events off
 * and on, counting HTTP requests and Redis commands at the local Upstash endpoint, and Redis
 * commands sent by the TCP adapter's ioredis client. Uses DB 11 of 127.0.0.1:6379 under a key
 * prefix of its own (deleted afterwards).
 *
 *   npx tsx bench/events-cost.ts
 */
import process from "node:process";
import { Redis } from "@upstash/redis";
import type { Redis as IORedis } from "ioredis";
import { Celeriac, monitoring } from "../mod.ts";
import { upstashRedis } from "../adapters/upstash-redis/mod.ts";
import { redis as redisPair } from "../adapters/redis/mod.ts";
import { startDevServer } from "../workers/node/dev-server.ts";
import { deleteByPrefix, uniquePrefix } from "../test/support/redis.ts";

const N = Number(process.env.BENCH_EVENTS_N ?? 1000);
const URL = "redis://127.0.0.1:6379/11";

async function fill(app: Celeriac): Promise<void> {
  const add = app.task("bench.add", (a: number, b: number) => a + b);
  for (let i = 0; i < N; i += 100) await Promise.all(Array.from({ length: Math.min(100, N - i) }, (_, j) => add.delay(i + j, 1)));
}

async function upstash(events: boolean): Promise<{ requests: number; commands: number }> {
  const server = await startDevServer({ port: 0, redisUrl: URL });
  const prefix = uniquePrefix("bench-events");
  try {
    const client = new Redis({ url: server.url, token: server.token, enableTelemetry: false });
    const app = new Celeriac("bench", { ...upstashRedis({ redis: client, prefix, db: 11 }) });
    await fill(app);
    const before = { ...server.stats };
    const report = await app.worker({ events, monitoring, prefetch: 10 }).drain();
    if (report.succeeded !== N) throw new Error(`drained ${report.succeeded}/${N}`);
    return { requests: server.stats.requests - before.requests, commands: server.stats.commands - before.commands };
  } finally {
    await server.close();
    await deleteByPrefix(URL, prefix);
  }
}

async function tcp(events: boolean): Promise<{ commands: number }> {
  const prefix = uniquePrefix("bench-events-tcp");
  const pair = redisPair(URL, { prefix });
  try {
    const app = new Celeriac("bench", { broker: pair.broker, backend: pair.backend });
    await fill(app);
    let commands = 0;
    const client = pair.broker.redis as IORedis & { sendCommand: (...a: unknown[]) => unknown };
    const send = client.sendCommand.bind(client);
    client.sendCommand = (...a: unknown[]) => (commands++, send(...a));
    const report = await app.worker({ events, monitoring, prefetch: 10 }).drain();
    client.sendCommand = send;
    if (report.succeeded !== N) throw new Error(`drained ${report.succeeded}/${N}`);
    return { commands };
  } finally {
    await pair.close();
    await deleteByPrefix(URL, prefix);
  }
}

const rows: string[] = [];
for (const events of [false, true]) {
  const u = await upstash(events);
  const t = await tcp(events);
  rows.push(`| ${events ? "on " : "off"} | ${u.requests} (${(u.requests / N).toFixed(3)}/task) | ${u.commands} (${(u.commands / N).toFixed(3)}/task) | ${t.commands} (${(t.commands / N).toFixed(3)}/task) |`);
}
console.log(`drain of ${N} tasks, prefetch 10\n| events | Upstash requests | Upstash commands | TCP Redis commands |\n|---|---|---|---|\n${rows.join("\n")}`);
process.exit(0);
