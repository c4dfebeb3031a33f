/**
 * The celeriac side of `bench/compare.ts`: one app per scenario (its own key prefix, or its own
 * in-memory broker), over HTTP (`@upstash/redis` → the parent's local endpoint → its Redis DB),
 * TCP Redis (`adapters/redis`, DB `BENCH_DB`) or the embedded memory adapter.
 */
import process from "node:process";
import { Celeriac, type PullBroker } from "../mod.ts";
import { fromEnv, upstashSse } from "../adapters/upstash-redis/mod.ts";
import { redis, type RedisPair } from "../adapters/redis/mod.ts";

/** What the case runner needs from a system. */
export interface System {
  /** Processing variants, e.g. `defaults` (no options, what `celeriac worker` does) and tuned ones. */
  variants: string[];
  enqueueBulk(q: string, n: number): Promise<void>;
  enqueueSeq(q: string, n: number): Promise<void>;
  /** Process `n` queued no-op tasks; returns how many finished (stops at `capMs`). */
  process(q: string, variant: string, n: number, capMs: number): Promise<number>;
  /** send→result ms of `n` sequential tasks, worker at defaults. */
  latency(q: string, n: number): Promise<number[]>;
  idleStart(q: string): Promise<void>;
  idleStop(): Promise<void>;
  /** Memory only: claim cost with many far-future ETAs waiting. */
  delayedClaim?(n: number): Promise<Record<string, number>>;
  close(): Promise<void>;
}

const BULK = 1000;
/** What an I/O-bound bench task awaits. */
export const IO_MS = 5;

export async function celeriacSystem(kind: string): Promise<System> {
  const run = `${process.pid}:`;
  const pairs: RedisPair[] = [];
  const apps = new Map<string, Celeriac>();
  let done = 0;
  let target = Infinity;
  let reached = (): void => {};
  const make = (q: string): Celeriac => {
    let app = apps.get(q);
    if (app) return app;
    const prefix = `bench:${run}${q}:`;
    if (kind === "http") {
      app = new Celeriac("bench", fromEnv({ UPSTASH_REDIS_REST_URL: process.env.BENCH_HTTP_URL, UPSTASH_REDIS_REST_TOKEN: process.env.BENCH_HTTP_TOKEN }, { prefix, sse: upstashSse }));
    } else if (kind === "tcp") {
      const pair = redis(`redis://127.0.0.1:${process.env.BENCH_REDIS_PORT}/${process.env.BENCH_DB}`, { prefix });
      pairs.push(pair);
      app = new Celeriac("bench", pair);
    } else if (kind === "memory") {
      app = new Celeriac("bench");
    } else throw new Error(`unknown system ${kind}`);
    // Queues named io-*: each task awaits 5 ms of (simulated) I/O.
    const io = q.includes("io-");
    app.task("bench.noop", async () => {
      if (io) await new Promise((r) => setTimeout(r, IO_MS));
      if (++done >= target) reached();
      return null;
    });
    apps.set(q, app);
    return app;
  };
  const noop = (q: string) => make(q).tasks.get("bench.noop")!;
  let idle: { stop: AbortController; loop: Promise<void> } | undefined;

  const runUntil = async (app: Celeriac, n: number, capMs: number, start: (signal: AbortSignal) => Promise<unknown>): Promise<number> => {
    done = 0;
    target = n;
    const all = new Promise<void>((r) => (reached = r));
    const stop = new AbortController();
    const cap = setTimeout(() => stop.abort(), capMs);
    const loop = start(stop.signal);
    await Promise.race([all, loop, new Promise((r) => stop.signal.addEventListener("abort", r))]);
    stop.abort();
    await loop;
    clearTimeout(cap);
    target = Infinity;
    return done;
  };

  const sys: System = {
    variants: ["defaults", "drain-c50", "run-c50", "io-defaults", "io-run-c50"],
    async enqueueBulk(q, n) {
      const app = make(q);
      for (let i = 0; i < n; i += BULK) {
        await app.publish(Array.from({ length: Math.min(BULK, n - i) }, () => app.buildMessage("bench.noop", [])));
      }
    },
    async enqueueSeq(q, n) {
      const t = noop(q);
      for (let i = 0; i < n; i++) await t.delay();
    },
    process(q, kind, n, capMs) {
      const app = make(q);
      const variant = kind.replace(/^io-/, "");
      const quiet = { onError: () => {} };
      if (variant === "defaults") return runUntil(app, n, capMs, (signal) => app.worker(quiet).run({ signal }));
      if (variant === "run-c50") return runUntil(app, n, capMs, (signal) => app.worker({ ...quiet, concurrency: 50 }).run({ signal }));
      return runUntil(app, n, capMs, (signal) => app.worker({ ...quiet, concurrency: 50, prefetch: 500 }).drain({ signal, budgetMs: capMs }));
    },
    async latency(q, n) {
      const app = make(q);
      const t = noop(q);
      const stop = new AbortController();
      const loop = app.worker({ onError: () => {} }).run({ signal: stop.signal });
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        await (await t.delay()).get({ timeout: 10_000 });
        out.push(performance.now() - t0);
      }
      stop.abort();
      await loop;
      return out;
    },
    async idleStart(q) {
      const app = make(q);
      const stop = new AbortController();
      idle = { stop, loop: app.worker({ onError: () => {} }).run({ signal: stop.signal }) };
    },
    async idleStop() {
      idle?.stop.abort();
      await idle?.loop;
    },
    delayedClaim: kind !== "memory" ? undefined : async (n) => {
      // 1000 ready tasks drained with `n` far-future ETAs queued beside them, against none.
      const time = async (q: string, far: number): Promise<number> => {
        const app = make(q);
        for (let i = 0; i < far; i += BULK) {
          await app.publish(Array.from({ length: Math.min(BULK, far - i) }, () => app.buildMessage("bench.noop", [], { countdown: 86_400 })));
        }
        await sys.enqueueBulk(q, 1000);
        const t0 = performance.now();
        await app.worker({ prefetch: 1 }).drain();
        const s = (performance.now() - t0) / 1000;
        if ((await (app.broker as PullBroker).size("celery")) !== 0) throw new Error("drain left ready tasks");
        return s;
      };
      await time("warm", 0); // JIT warm-up, not counted
      const none = await time("d0", 0);
      const many = await time("d1", n);
      return { delayedSlowdown: many / none };
    },
    async close() {
      for (const p of pairs) await p.close();
    },
  };
  return sys;
}
