/**
 * `npm run bench:parts`: throughput and round trips of the Upstash Redis adapter, with the official
 * `@upstash/redis` client against the local Upstash-compatible endpoint and a real Redis.
 * Starts its own endpoint, uses a unique key prefix and deletes its keys at the end.
 *
 *   BENCH_N=10000 (tasks per scenario)  REDIS_URL=redis://127.0.0.1:6379
 */
import process from "node:process";
import { Redis } from "@upstash/redis";
import { Celeriac } from "../mod.ts";
import { upstashRedis } from "../adapters/upstash-redis/mod.ts";
import { startDevServer, type DevServer } from "../workers/node/dev-server.ts";
import { deleteByPrefix, ensureRedis, uniquePrefix } from "../test/support/redis.ts";

const N = Number(process.env.BENCH_N ?? 10_000);
const PUBLISH_BATCH = 1_000;
const DELAY_CONCURRENCY = 100;

interface Row {
  scenario: string;
  tasks: number;
  seconds: number;
  requests: number;
  commands: number;
}

function newApp(server: DevServer, prefix: string): Celeriac {
  const redis = new Redis({ url: server.url, token: server.token, enableTelemetry: false });
  const app = new Celeriac("bench", { ...upstashRedis({ redis, prefix }) });
  app.task("bench.noop", () => null);
  return app;
}

async function measure(server: DevServer, scenario: string, tasks: number, fn: () => Promise<void>): Promise<Row> {
  server.resetStats();
  const t0 = performance.now();
  await fn();
  const seconds = (performance.now() - t0) / 1000;
  return { scenario, tasks, seconds, requests: server.stats.requests, commands: server.stats.commands };
}

async function enqueueBatched(app: Celeriac, n: number): Promise<void> {
  for (let i = 0; i < n; i += PUBLISH_BATCH) {
    await app.publish(Array.from({ length: Math.min(PUBLISH_BATCH, n - i) }, () => app.buildMessage("bench.noop", [])));
  }
}

async function enqueueDelays(app: Celeriac, n: number, concurrency: number): Promise<void> {
  const noop = app.tasks.get("bench.noop")!;
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next++ < n) await noop.delay();
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
}

async function drainAll(app: Celeriac, prefetch: number, n: number): Promise<void> {
  const report = await app.worker({ prefetch }).drain();
  if (report.succeeded !== n) throw new Error(`drained ${report.succeeded} of ${n}`);
}

function table(rows: Row[]): string {
  const head = ["scenario", "tasks", "seconds", "tasks/s", "HTTP req/task", "Redis cmds/task"];
  const body = rows.map((r) => [
    r.scenario, String(r.tasks), r.seconds.toFixed(2), Math.round(r.tasks / r.seconds).toLocaleString("en-US"),
    (r.requests / r.tasks).toFixed(4), (r.commands / r.tasks).toFixed(4),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => (i ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(" | ")} |`;
  return [line(head), `|${widths.map((w, i) => (i ? "-".repeat(w + 1) + ":" : "-".repeat(w + 2))).join("|")}|`, ...body.map(line)].join("\n");
}

async function main(): Promise<void> {
  const redis = await ensureRedis();
  const server = await startDevServer({ port: 0, redisUrl: redis.url });
  const prefix = uniquePrefix("bench");
  const rows: Row[] = [];
  try {
    // Load the scripts once so the numbers show the steady state (first use costs one more request each).
    const warm = newApp(server, `${prefix}warm:`);
    await enqueueBatched(warm, 1);
    await drainAll(warm, 10, 1);

    const batched = newApp(server, `${prefix}a:`);
    rows.push(await measure(server, `enqueue: publish batches of ${PUBLISH_BATCH}`, N, () => enqueueBatched(batched, N)));
    rows.push(await measure(server, "process: drain, prefetch 100", N, () => drainAll(batched, 100, N)));

    const single = newApp(server, `${prefix}b:`);
    const one = Math.ceil(N / 10);
    rows.push(await measure(server, "enqueue: delay(), one at a time", one, () => enqueueDelays(single, one, 1)));
    rows.push(await measure(server, `enqueue: delay(), ${DELAY_CONCURRENCY} concurrent`, N - one, () => enqueueDelays(single, N - one, DELAY_CONCURRENCY)));
    rows.push(await measure(server, "process: drain, prefetch 500", N, () => drainAll(single, 500, N)));

    console.log(`\nceleriac upstash-redis bench: ${N} no-op tasks, @upstash/redis → dev endpoint → Redis ${redis.url}\n`);
    console.log(table(rows));
    console.log("\nHTTP req/task and Redis cmds/task are counted at the endpoint (EVALSHA = 1 command).");
  } finally {
    await deleteByPrefix(redis.url, prefix);
    await server.close();
    await redis.stop();
  }
}

await main();
