/**
 * `npm run bench:parts` (first part): the core on the embedded memory broker/backend — what the
 * library itself costs per task, with no I/O. Reports tasks/s and heap per retained result.
 *
 *   BENCH_N=100000 (tasks)
 */
import process from "node:process";
import { Celeriac, type PullBroker } from "../mod.ts";

const N = Number(process.env.BENCH_MEMORY_N ?? 100_000);
const gc = (globalThis as { gc?: () => void }).gc;

function heapMb(): number {
  gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

async function timed(label: string, tasks: number, fn: () => Promise<void>): Promise<string[]> {
  const t0 = performance.now();
  await fn();
  const s = (performance.now() - t0) / 1000;
  return [label, String(tasks), s.toFixed(2), Math.round(tasks / s).toLocaleString("en-US")];
}

async function main(): Promise<void> {
  const rows: string[][] = [];
  const base = heapMb();
  const app = new Celeriac("bench");
  const noop = app.task("bench.noop", () => null);
  rows.push(await timed("enqueue: delay(), sequential", N, async () => {
    for (let i = 0; i < N; i++) await noop.delay();
  }));
  const queued = heapMb() - base;
  rows.push(await timed("process: drain, prefetch 100, concurrency 1", N, async () => {
    const r = await app.worker({ prefetch: 100 }).drain();
    if (r.succeeded !== N) throw new Error(`ran ${r.succeeded}`);
  }));
  const stored = heapMb() - base;
  for (let i = 0; i < N; i++) await noop.delay();
  rows.push(await timed("process: drain, prefetch 500, concurrency 16", N, async () => {
    await app.worker({ prefetch: 500, concurrency: 16 }).drain();
  }));

  const ac = new AbortController();
  const loop = app.worker({ concurrency: 8 }).run({ signal: ac.signal, pollIntervalMs: 1 });
  const latencies: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    await (await noop.delay()).get({ interval: 1 });
    latencies.push(performance.now() - t0);
  }
  ac.abort();
  await loop;
  latencies.sort((a, b) => a - b);

  // Soak: a long-running loop whose results expire must not grow (expired keys are swept).
  const soak = new Celeriac("soak", { conf: { resultExpires: 1 } });
  const tick = soak.task("bench.noop", () => null);
  const soakCtl = new AbortController();
  const soakLoop = soak.worker({ concurrency: 8 }).run({ signal: soakCtl.signal, pollIntervalMs: 1 });
  const heapAt: number[] = [];
  for (let round = 0; round < 6; round++) {
    for (let i = 0; i < N / 5; i++) await tick.delay();
    while ((await (soak.broker as PullBroker).size("celery")) > 0) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 1100));
    heapAt.push(heapMb());
  }
  soakCtl.abort();
  await soakLoop;

  const widths = [46, 8, 8, 10];
  const line = (c: string[]): string => `| ${c.map((x, i) => (i ? x.padStart(widths[i]) : x.padEnd(widths[i]))).join(" | ")} |`;
  console.log(`\nceleriac memory adapter bench: ${N} no-op tasks (Node ${process.version})\n`);
  console.log(line(["scenario", "tasks", "seconds", "tasks/s"]));
  console.log(`|${widths.map((w, i) => (i ? "-".repeat(w + 1) + ":" : "-".repeat(w + 2))).join("|")}|`);
  for (const r of rows) console.log(line(r));
  console.log(`\nround trip delay() → run() loop → get(): p50 ${latencies[100].toFixed(2)} ms, p99 ${latencies[198].toFixed(2)} ms`);
  console.log(`soak: ${6 * N / 5} tasks through run() with resultExpires 1 s, heap after each ${N / 5}: ${heapAt.map((h) => h.toFixed(1)).join(", ")} MB`);
  if (gc) {
    console.log(`heap: ${(queued * 2 ** 20 / N).toFixed(0)} B per queued message, ${(stored * 2 ** 20 / N).toFixed(0)} B per stored result (${N} results kept until resultExpires)`);
  } else {
    console.log("heap: run with node --expose-gc for per-message numbers");
  }
}

await main();
