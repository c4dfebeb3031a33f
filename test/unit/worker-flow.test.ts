// How many messages a worker holds and what it hands back: drain's claim ahead, run's reserve.
import { describe, expect, it } from "vitest";
import { Celeriac, DEFAULT_CONCURRENCY, type Delivery, type PullBroker } from "../../mod.ts";
import { memoryBackend, memoryBroker } from "../../adapters/memory/mod.ts";

/** A memory broker that counts messages claimed and not yet acked, requeued or dead-lettered. */
function countingApp(): { app: Celeriac; held: () => number; peak: () => number; requeued: () => number; claims: number[] } {
  const broker = memoryBroker();
  let held = 0;
  let peak = 0;
  let requeued = 0;
  const claims: number[] = [];
  const counting: PullBroker = Object.assign(Object.create(broker) as PullBroker, {
    claim: async (queues: string[], opts: Parameters<PullBroker["claim"]>[1]) => {
      const got = await broker.claim(queues, opts);
      claims.push(opts.max);
      held += got.length;
      peak = Math.max(peak, held);
      return got;
    },
    ack: (ds: Delivery[]) => ((held -= ds.length), broker.ack(ds)),
    requeue: (d: Delivery, o: { delayMs: number }) => (held--, requeued++, broker.requeue(d, o)),
    deadLetter: (d: Delivery, r: string) => (held--, broker.deadLetter(d, r)),
  });
  const app = new Celeriac("flow", { broker: counting, backend: memoryBackend() });
  return { app, held: () => held, peak: () => peak, requeued: () => requeued, claims };
}

const until = async (cond: () => boolean | Promise<boolean>): Promise<void> => {
  for (let i = 0; i < 2000 && !(await cond()); i++) await new Promise((r) => setTimeout(r, 5));
  if (!(await cond())) throw new Error("condition not reached");
};

describe("worker flow", () => {
  it("drain with maxTasks runs exactly that many; what it claimed ahead goes back unstarted", async () => {
    const { app, held } = countingApp();
    const ran: number[] = [];
    const t = app.task("t.note", (i: number) => void ran.push(i));
    for (let i = 0; i < 30; i++) await t.delay(i);
    const first = await app.worker({ prefetch: 10 }).drain({ maxTasks: 15 });
    expect(first.processed).toBe(15);
    expect(held()).toBe(0);
    expect(await (app.broker as PullBroker).size("celery")).toBe(15);
    const rest = await app.worker({ prefetch: 10 }).drain();
    expect(rest.processed).toBe(15);
    expect([...ran].sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });

  it("drain stopped by its signal hands back the batch it claimed ahead", async () => {
    const { app, held } = countingApp();
    const stop = new AbortController();
    let runs = 0;
    const t = app.task("t.stop", () => {
      if (++runs === 3) stop.abort();
    });
    for (let i = 0; i < 40; i++) await t.delay();
    const report = await app.worker({ prefetch: 10, concurrency: 1 }).drain({ signal: stop.signal });
    expect(report.processed).toBe(3);
    expect(held()).toBe(0);
    expect(await (app.broker as PullBroker).size("celery")).toBe(37);
  });

  it("run with prefetch = concurrency never holds a message behind a busy slot; stopping hands back the reserve", async () => {
    for (const [prefetch, reserve] of [[2, 0], [6, 3]] as const) {
      const { app, held, peak, requeued } = countingApp();
      const gates: (() => void)[] = [];
      const t = app.task("t.gate", () => new Promise<void>((resolve) => gates.push(resolve)));
      for (let i = 0; i < 20; i++) await t.delay();
      const stop = new AbortController();
      const loop = app.worker({ concurrency: 2, prefetch }).run({ signal: stop.signal, pollIntervalMs: 5 });
      await until(() => gates.length === 2 && held() === prefetch);
      gates.shift()!();
      // The freed slot takes the next message (from the reserve, or claimed for it).
      await until(() => gates.length === 2);
      stop.abort();
      for (const g of gates) g();
      await loop;
      expect(peak()).toBeLessThanOrEqual(prefetch + 1); // + the finished one whose ack lingers
      expect(held()).toBe(0);
      expect(requeued()).toBe(reserve);
      expect(await (app.broker as PullBroker).size("celery")).toBe(17);
    }
  });

  it("run claims again while its tasks run, before its reserve is empty", async () => {
    const { app, claims } = countingApp();
    let done = 0;
    const t = app.task("t.quick", async () => void done++);
    for (let i = 0; i < 200; i++) await t.delay();
    const stop = new AbortController();
    const loop = app.worker({ concurrency: 4, prefetch: 16 }).run({ signal: stop.signal, pollIntervalMs: 5 });
    await until(() => done === 200);
    stop.abort();
    await loop;
    // Every claim asked for what the worker may still hold: never a claim per freed slot.
    expect(claims.filter((n) => n < 8).length).toBeLessThanOrEqual(1);
    expect(claims.length).toBeLessThan(200 / 4);
  });

  it("the default concurrency runs async tasks side by side", async () => {
    const { app } = countingApp();
    let running = 0;
    let peak = 0;
    const gates: (() => void)[] = [];
    const t = app.task("t.io", async () => {
      peak = Math.max(peak, ++running);
      await new Promise<void>((resolve) => gates.push(resolve));
      running--;
    });
    for (let i = 0; i < DEFAULT_CONCURRENCY + 5; i++) await t.delay();
    const draining = app.worker().drain();
    await until(() => gates.length === DEFAULT_CONCURRENCY);
    while (gates.length) gates.shift()!();
    await until(() => gates.length === 5);
    while (gates.length) gates.shift()!();
    expect((await draining).processed).toBe(DEFAULT_CONCURRENCY + 5);
    expect(peak).toBe(DEFAULT_CONCURRENCY);
  });
});
