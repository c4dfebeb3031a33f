/**
 * One claimed batch: run its deliveries on `concurrency` lanes, keep them invisible while they
 * run, then flush what they left behind in as few round trips as the broker allows: one
 * publish for every follow-up, then acks, results, requeues and dead letters together.
 * @module
 */
import type { AppHost } from "../host.ts";
import type { Delivery, PullBroker, ResultWrite } from "../ports.ts";
import type { Executor } from "./execute.ts";
import { Effects, type Execution } from "./outcome.ts";

/** What a batch needs from its worker. */
export interface BatchContext {
  app: AppHost;
  broker: PullBroker;
  executor: Executor;
  visibilityMs: number;
  report(err: unknown): void;
}

/**
 * Run a batch. Deliveries not started before `deadline` or `signal` are handed back; one whose
 * execution hit an adapter failure stays unacked, to come back after the visibility timeout.
 */
export async function runBatch(
  ctx: BatchContext,
  deliveries: Delivery[],
  concurrency: number,
  deadline: number,
  signal?: AbortSignal,
): Promise<{ executions: Execution[]; published: boolean }> {
  const effects = new Effects();
  const done: [Delivery, Execution][] = [];
  const released: Delivery[] = [];
  const finished = new Set<Delivery>();
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < deliveries.length) {
      const d = deliveries[next++];
      if (ctx.app.clock.now() >= deadline || signal?.aborted) {
        released.push(d);
      } else {
        try {
          done.push([d, await ctx.executor.execute(d, effects, signal)]);
        } catch (err) {
          ctx.report(err);
        }
      }
      finished.add(d);
    }
  };
  const stopExtending = keepVisible(ctx, deliveries, finished);
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, deliveries.length) }, lane));
  } finally {
    stopExtending();
  }
  await flush(ctx, effects, done, released);
  return { executions: done.map(([, e]) => e), published: effects.publish.length > 0 };
}

async function flush(ctx: BatchContext, effects: Effects, done: [Delivery, Execution][], released: Delivery[]): Promise<void> {
  const { app, broker } = ctx;
  await app.publish(effects.publish);
  const acks = done.filter(([, e]) => e.disposition.kind === "ack").map(([d]) => d);
  // Issued together so an auto-pipelining client (Upstash) sends them as one request.
  await Promise.all([
    settle(app, broker, acks, effects.results),
    ...done.map(([d, { disposition: x }]) =>
      x.kind === "requeue" ? broker.requeue(d, { delayMs: x.delayMs }) : x.kind === "deadLetter" ? broker.deadLetter(d, x.reason) : null
    ),
    ...released.map((d) => broker.requeue(d, { delayMs: 0 })),
  ]);
}

async function settle(app: AppHost, broker: PullBroker, acks: Delivery[], results: ResultWrite[]): Promise<void> {
  if (results.length && broker.storesResultsFor?.(app.backend)) return broker.ack(acks, results);
  if (results.length) await app.backend.set(results);
  if (acks.length) await broker.ack(acks);
}

// While a batch runs longer than half the visibility timeout, push the deadline back.
function keepVisible(ctx: BatchContext, deliveries: Delivery[], finished: Set<Delivery>): () => void {
  const { broker, visibilityMs } = ctx;
  if (!broker.extend) return () => {};
  const timer = setInterval(() => {
    const running = deliveries.filter((d) => !finished.has(d));
    if (running.length) broker.extend!(running, visibilityMs).catch((err) => ctx.report(err));
  }, Math.max(50, visibilityMs / 2));
  return () => clearInterval(timer);
}
