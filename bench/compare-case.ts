/**
 * One system of `bench/compare.ts`, in a process of its own (forked by it): argv is
 * `<system> <mode>`, system ∈ http | tcp | memory | bullmq, mode ∈ speed | count | idle | heap.
 * Phases are bracketed by `mark()` so the parent snapshots its counters (HTTP requests at the
 * endpoint, Redis commands from MONITOR); timings come back in the final `result` message.
 *
 *   env: BENCH_N, BENCH_SEQ_N, BENCH_LAT_N, BENCH_IDLE_S, BENCH_HTTP_URL, BENCH_HTTP_TOKEN, BENCH_REDIS_PORT
 */
import process from "node:process";
import { bullmqSystem } from "./compare-bullmq.ts";
import { celeriacSystem, type System } from "./compare-celeriac.ts";

const [systemName, mode] = process.argv.slice(2) as [string, string];
const N = Number(process.env.BENCH_N ?? 5000);
const SEQ_N = Number(process.env.BENCH_SEQ_N ?? 1000);
const LAT_N = Number(process.env.BENCH_LAT_N ?? 500);
const IDLE_S = Number(process.env.BENCH_IDLE_S ?? 60);
const HEAP_N = Number(process.env.BENCH_HEAP_N ?? 50_000);
/** I/O-bound tasks (5 ms each) per processing run. */
const IO_N = Math.max(100, Math.round(N / 10));
/** A processing scenario stops here even when not done (processed/s is then done/elapsed). */
const PROCESS_CAP_S = 15;

let seq = 0;
const pending = new Map<number, () => void>();
process.on("message", (m: { type: string; id: number }) => {
  if (m.type === "marked") pending.get(m.id)?.();
});
/** Ask the parent to snapshot its counters under `name` (after in-flight commands arrived). */
function mark(name: string): Promise<void> {
  const id = ++seq;
  return new Promise((resolve) => {
    pending.set(id, resolve);
    process.send!({ type: "mark", id, name });
  });
}

const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const heapMb = (): number => {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

async function rate(n: number, fn: () => Promise<number | void>): Promise<number> {
  const t0 = performance.now();
  const done = (await fn()) ?? n;
  return done / ((performance.now() - t0) / 1000);
}

const phase = (name: string, t0: number): void => void process.stderr.write(`  ${systemName} ${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

async function speed(sys: System): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const t0 = performance.now();
  out.enqueueBulk = await rate(N, () => sys.enqueueBulk("eb", N));
  out.enqueueSeq = await rate(SEQ_N, () => sys.enqueueSeq("es", SEQ_N));
  for (const variant of sys.variants) {
    const q = `p-${variant}`;
    const n = variant.startsWith("io-") ? IO_N : N;
    await sys.enqueueBulk(q, n);
    const t0 = performance.now();
    const done = await sys.process(q, variant, n, PROCESS_CAP_S * 1000);
    out[`process:${variant}`] = done / ((performance.now() - t0) / 1000);
  }
  phase("enqueue + process", t0);
  const t1 = performance.now();
  const lat = await sys.latency("lat", LAT_N);
  phase("latency", t1);
  out.p50 = pct(lat, 50);
  out.p95 = pct(lat, 95);
  out.p99 = pct(lat, 99);
  return out;
}

async function count(sys: System): Promise<Record<string, number>> {
  await mark("enqueued:0");
  await sys.enqueueBulk("c", N);
  await mark("enqueued:1");
  await mark("process:0");
  const done = await sys.process("c", "defaults", N, 60_000);
  await mark("process:1");
  return { tasks: done };
}

async function idle(sys: System): Promise<Record<string, number>> {
  await sys.idleStart("idle");
  await new Promise((r) => setTimeout(r, 2000));
  await mark("idle:0");
  await new Promise((r) => setTimeout(r, IDLE_S * 1000));
  await mark("idle:1");
  await sys.idleStop();
  return { seconds: IDLE_S };
}

async function heap(sys: System): Promise<Record<string, number>> {
  const base = heapMb();
  await mark("heap:0");
  await sys.enqueueBulk("h", HEAP_N);
  await mark("heap:1");
  const queued = (heapMb() - base) * 2 ** 20 / HEAP_N;
  const delayed = await sys.delayedClaim?.(HEAP_N);
  return { bytesPerQueued: queued, ...delayed };
}

async function main(): Promise<void> {
  const sys = systemName === "bullmq" ? await bullmqSystem() : await celeriacSystem(systemName);
  try {
    const run = { speed, count, idle, heap }[mode];
    if (!run) throw new Error(`unknown mode ${mode}`);
    process.send!({ type: "result", data: await run(sys) });
  } finally {
    await sys.close();
  }
  process.disconnect();
}

await main();
