/**
 * Push bench: tasks sent through `qstashBroker` to the local QStash server, delivered over real
 * HTTP to `worker.fetch` (signature verified), results in a real Redis through the local
 * Upstash endpoint, read back with `AsyncResult.get`. Everything runs in this process on a
 * loopback network, so it measures celeriac + the local servers, not Upstash's cloud.
 *
 *   npx tsx bench/push.ts        PUSH_N=500 (tasks per scenario)
 */
import process from "node:process";
import type { Celeriac } from "../mod.ts";
import { startPush } from "../test/conformance/push-harness.ts";

const N = Number(process.env.PUSH_N ?? 500);

const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function run(app: Celeriac, tasks: number, inFlight: number, interval?: number): Promise<number[]> {
  const add = app.tasks.get("bench.add")!;
  const lat: number[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < tasks) {
      const i = next++;
      const t0 = performance.now();
      const r = await app.sendTask(add.name, [i, 1]);
      await r.get({ timeout: 30_000, ...(interval ? { interval } : {}) });
      lat.push(performance.now() - t0);
    }
  }));
  return lat.sort((a, b) => a - b);
}

const env = await startPush("bench-push");
try {
  const app = env.app();
  app.task("bench.add", (a: number, b: number) => a + b);
  await run(app, 20, 4, 2); // warm-up (JIT, connections)
  const counters = () => ({ q: env.qstash.stats.requests, d: env.qstash.stats.delivered, u: env.upstash.server.stats.requests });
  const rows: Record<string, string | number>[] = [];

  const seq = await run(app, N, 1, 2);
  rows.push({
    scenario: `latency, ${N} sequential (get polls every 2 ms)`, p50_ms: pct(seq, 50).toFixed(1), p95_ms: pct(seq, 95).toFixed(1),
    p99_ms: pct(seq, 99).toFixed(1),
  });
  for (const k of [16, 64]) {
    const t0 = performance.now();
    const lat = await run(app, N, k);
    const s = (performance.now() - t0) / 1000;
    rows.push({ scenario: `throughput, ${k} in flight (default get polling)`, tasks_per_s: (N / s).toFixed(0), p50_ms: pct(lat, 50).toFixed(1), p99_ms: pct(lat, 99).toFixed(1) });
  }
  console.table(rows);

  // Requests per task with the default adaptive get() polling, counted by the two servers.
  await env.settled();
  const M = 100;
  env.upstash.server.resetStats();
  env.qstash.resetStats();
  const before = counters();
  await run(app, M, 1);
  await env.settled();
  const after = counters();
  const per = (n: number): string => (n / M).toFixed(2);
  console.table([{
    "QStash API (publish)": per(after.q - before.q), "QStash deliveries": per(after.d - before.d),
    "Upstash (worker + get)": per(after.u - before.u), total: per(after.q - before.q + after.d - before.d + after.u - before.u),
  }]);
} finally {
  await env.close();
}
