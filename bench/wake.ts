/**
 * Idle cost and send→start latency of an Upstash worker: HTTP requests and Redis commands per
 * minute while idle, then send→start p50/p95 over sequential tasks, for three ways of waiting:
 * `before` (no waitForWork: run() sleeps pollIntervalMs = 1 s, no wake-up PUBLISH), `sse` (the
 * wake channel over SSE, the default) and `poll` (`idle.subscribe: false`: adaptive polling).
 * A private redis-server on port 6391 gives exact command counts (INFO commandstats).
 *
 *   npx tsx bench/wake.ts [idleSeconds=60] [tasks=200] [modes=before,sse,poll]
 */
import { spawn } from "node:child_process";
import process from "node:process";
import { Redis as IORedis } from "ioredis";
import { Redis } from "@upstash/redis";
import { Celeriac } from "../mod.ts";
import { upstashRedis, type UpstashIdleOptions } from "../adapters/upstash-redis/mod.ts";
import type { PullBroker } from "../src/ports.ts";
import { startDevServer } from "../workers/node/dev-server.ts";

const idleSeconds = Number(process.argv[2] ?? 60);
const tasks = Number(process.argv[3] ?? 200);
const modes = (process.argv[4] ?? "before,sse,poll").split(",");
const PORT = 6391;

const redisProc = spawn("redis-server", ["--port", String(PORT), "--save", "", "--appendonly", "no"], { stdio: "ignore" });
const admin = new IORedis(`redis://127.0.0.1:${PORT}`, { retryStrategy: (n) => (n > 50 ? null : 100) });
await admin.ping();
const server = await startDevServer({ port: 0, redisUrl: `redis://127.0.0.1:${PORT}` });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function commands(): Promise<number> {
  const info = await admin.info("commandstats");
  let n = 0;
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) if (!/^(info|config)/.test(m[1])) n += Number(m[2]);
  return n;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

async function measure(mode: string): Promise<Record<string, string | number>> {
  const redis = new Redis({ url: server.url, token: server.token, enableTelemetry: false });
  const idle: UpstashIdleOptions = mode === "poll" ? { subscribe: false } : mode === "before" ? { publishWakeups: false } : {};
  const pair = upstashRedis({ redis, prefix: `bench-wake:${mode}:`, idle });
  // `before`: a broker without waitForWork, as every HTTP broker was: run() sleeps 1 s after an empty claim.
  const broker: PullBroker = mode === "before" ? Object.assign(Object.create(pair.broker), { waitForWork: undefined }) : pair.broker;
  const app = new Celeriac("bench", { broker, backend: pair.backend });
  let started: (() => void) | null = null;
  app.task("tasks.noop", () => void started?.());
  const stop = new AbortController();
  const running = app.worker().run({ signal: stop.signal, pollIntervalMs: 1000 });
  await sleep(3000); // settled into its idle rhythm (the poll back-off has reached its ceiling)
  server.resetStats();
  await admin.config("RESETSTAT");
  await sleep(idleSeconds * 1000);
  const perMin = 60 / idleSeconds;
  const idleRequests = server.stats.requests * perMin;
  const idleCommands = (await commands()) * perMin;
  const lat: number[] = [];
  const sends: number[] = [];
  for (let i = 0; i < tasks; i++) {
    const t0 = performance.now();
    const ran = new Promise<void>((r) => (started = r));
    await app.sendTask("tasks.noop");
    sends.push(performance.now() - t0);
    await ran;
    lat.push(performance.now() - t0);
    await sleep(5); // let the worker finish and go idle again before the next send
  }
  stop.abort();
  await running;
  await pair.broker.close();
  return {
    mode, "idle req/min": idleRequests.toFixed(1), "idle Redis cmd/min": idleCommands.toFixed(1),
    "send→start p50 ms": pct(lat, 50).toFixed(1), "p95 ms": pct(lat, 95).toFixed(1), "send alone p50 ms": pct(sends, 50).toFixed(1), tasks,
  };
}

const rows = [];
for (const m of modes) {
  rows.push(await measure(m));
  console.log(rows.at(-1));
}
console.table(rows);
await server.close();
admin.disconnect();
redisProc.kill();
process.exit(0);
