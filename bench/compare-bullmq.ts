/**
 * The BullMQ side of `bench/compare.ts` (bullmq 6, devDependency): over TCP to the bench's own
 * redis-server, a DB of its own (`BENCH_DB`). `defaults` is `new Worker(name, fn)` (concurrency 1), `c50`
 * the tuned worker; enqueue is `addBulk` of 1000 and an `add` loop; results come back through
 * `job.waitUntilFinished(queueEvents)`.
 */
import process from "node:process";
import { Queue, QueueEvents, Worker, type ConnectionOptions } from "bullmq";
import { IO_MS, type System } from "./compare-celeriac.ts";

const BULK = 1000;

export async function bullmqSystem(): Promise<System> {
  const connection: ConnectionOptions = { host: "127.0.0.1", port: Number(process.env.BENCH_REDIS_PORT), db: Number(process.env.BENCH_DB) };
  const run = `${process.pid}-`;
  const queues = new Map<string, Queue>();
  const closers: (() => Promise<unknown>)[] = [];
  const queue = (q: string): Queue => {
    let x = queues.get(q);
    if (!x) {
      queues.set(q, x = new Queue(run + q, { connection }));
      closers.push(() => x!.close());
    }
    return x;
  };
  // BullMQ's defaults: a finished job stays, with its return value (celeriac keeps results too).
  const opts = {};
  let idle: Worker | undefined;

  return {
    variants: ["defaults", "c50", "io-defaults", "io-c50"],
    async enqueueBulk(q, n) {
      for (let i = 0; i < n; i += BULK) {
        await queue(q).addBulk(Array.from({ length: Math.min(BULK, n - i) }, () => ({ name: "noop", data: {}, opts })));
      }
    },
    async enqueueSeq(q, n) {
      for (let i = 0; i < n; i++) await queue(q).add("noop", {}, opts);
    },
    async process(q, variant, n, capMs) {
      queue(q);
      let done = 0;
      let reached = (): void => {};
      const all = new Promise<void>((r) => (reached = r));
      const io = variant.startsWith("io-");
      const w = new Worker(run + q, async () => {
        if (io) await new Promise((r) => setTimeout(r, IO_MS));
        if (++done >= n) reached();
        return null;
      }, { connection, ...(variant.endsWith("c50") ? { concurrency: 50 } : {}) });
      w.on("error", () => {});
      let cap: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([all, new Promise((r) => (cap = setTimeout(r, capMs)))]);
      clearTimeout(cap);
      const finished = done;
      await w.close();
      return finished;
    },
    async latency(q, n) {
      const events = new QueueEvents(run + q, { connection });
      await events.waitUntilReady();
      const w = new Worker(run + q, async () => null, { connection });
      w.on("error", () => {});
      await w.waitUntilReady();
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        const job = await queue(q).add("noop", {});
        await job.waitUntilFinished(events, 10_000);
        out.push(performance.now() - t0);
      }
      await w.close();
      await events.close();
      return out;
    },
    async idleStart(q) {
      queue(q);
      idle = new Worker(run + q, async () => null, { connection });
      idle.on("error", () => {});
      await idle.waitUntilReady();
    },
    async idleStop() {
      await idle?.close();
    },
    async close() {
      for (const c of closers) await c();
    },
  };
}
