import type { Celeriac, Clock } from "../../../mod.ts";
import type { Delivery, ExtendOptions, PullBroker } from "../../../src/ports.ts";
import { manualClock } from "../../support/clock.ts";
import { deepEqual, equal, ok, rejects } from "../assert.ts";
import { delay, makeApp, pairOf, until, type Case, type Fixture } from "../harness.ts";

// #15 items 2 and 8: what a worker holds. Long tasks wait on gates the case opens; executions
// are counted. Where a visibility timeout must pass, the case waits for that to have happened
// (an exposure, never a margin the result depends on) or moves a manual clock past it.

interface Gate {
  promise: Promise<void>;
  open(): void;
}

function gate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

/** Tasks that record each execution by id; `tasks.long` waits for `held`. */
function countingApp(f: Fixture, pair: ReturnType<typeof pairOf>, runs: Map<string, number>, held: Gate, clock?: Clock): Celeriac {
  const app = makeApp(f, {}, pair, clock);
  const count = (id: string): void => void runs.set(id, (runs.get(id) ?? 0) + 1);
  app.task("tasks.short", { bind: true }, (self) => count(self.request.id));
  app.task("tasks.long", { bind: true }, async (self) => {
    count(self.request.id);
    await held.promise;
  });
  return app;
}

/**
 * The broker with its `extend` calls watched: `extendedAt(t)` resolves once an extend stamped at
 * `now >= t` has completed (at once for a broker without `extend`, e.g. AMQP, whose claims never expire).
 */
function watchExtends(real: PullBroker): { broker: PullBroker; extendedAt(t: number): Promise<void> } {
  if (!real.extend) return { broker: real, extendedAt: () => Promise.resolve() };
  let latest = -Infinity;
  const broker: PullBroker = Object.assign(Object.create(real), {
    extend: async (ds: Delivery[], ms: number, opts?: ExtendOptions) => {
      await real.extend!(ds, ms, opts);
      latest = Math.max(latest, opts?.now ?? -Infinity);
    },
  });
  return { broker, extendedAt: (t) => until(() => latest >= t, 10_000) };
}

const VISIBILITY_S = 1.5;

function batchMates(f: Fixture, mode: "drain" | "run"): Case {
  return {
    name: `${mode}: the finished batch-mates of a long task are acked while it runs and never reach a second worker`,
    fn: async () => {
      // One manual clock for both workers: it moves past the batch's visibility timeout in steps
      // shorter than it, each followed by the running worker's extend at the new time and a
      // second worker's claim, so nothing here depends on how fast the machine is. The brokers
      // keep their own clock, an hour behind: only the `now` the worker passes may count.
      const clock = manualClock(Date.now() + 3_600_000);
      const watched = watchExtends(f.broker());
      const pair = { broker: watched.broker, backend: f.backend() };
      const runs = new Map<string, number>();
      const held = gate();
      const first = countingApp(f, pair, runs, held, clock);
      const second = countingApp(f, pair, runs, held, clock);
      const msgs = [first.buildMessage("tasks.long", []), ...Array.from({ length: 7 }, () => first.buildMessage("tasks.short", []))];
      await first.publish(msgs);
      const [long, ...shorts] = msgs.map((m) => first.AsyncResult(m.headers.id));
      const errors: unknown[] = [];
      const w = first.worker({ concurrency: 8, prefetch: 8, visibilityTimeout: VISIBILITY_S, onError: (e) => errors.push(e) });
      const stop = new AbortController();
      const running = mode === "drain" ? w.drain() : w.run({ signal: stop.signal, pollIntervalMs: 10 });
      await until(() => runs.size === 8, 10_000);
      // Results and acks of the finished seven do not wait for the long one.
      await until(async () => (await Promise.all(shorts.map((r) => r.ready()))).every(Boolean), 10_000);
      const other = second.worker({ visibilityTimeout: VISIBILITY_S });
      for (let step = 0; step < 3; step++) { // 3 × 0.6 = 1.8 visibility timeouts after the claim
        clock.advance(VISIBILITY_S * 600);
        await watched.extendedAt(clock.now());
        await other.drain();
      }
      held.open();
      equal(await long.get({ timeout: 10_000, interval: 10 }), null);
      stop.abort();
      await running;
      deepEqual([...runs.values()], Array(8).fill(1), "each task ran exactly once");
      deepEqual(errors, []);
    },
  };
}

/** A worker's slots: batch-mates and functions past their hard time limit. */
export function slotCases(f: Fixture): Case[] {
  return [
    batchMates(f, "drain"),
    batchMates(f, "run"),
    {
      name: "run: a slot frees the moment its task settles, while a batch-mate still runs",
      fn: async () => {
        const pair = pairOf(f);
        const runs = new Map<string, number>();
        const held = gate();
        const app = countingApp(f, pair, runs, held);
        let running = 0;
        let peak = 0;
        app.task("tasks.io", async () => {
          peak = Math.max(peak, ++running);
          await delay(5);
          running--;
        });
        const first = [app.buildMessage("tasks.long", []), ...Array.from({ length: 3 }, () => app.buildMessage("tasks.io", []))];
        await app.publish(first);
        const stop = new AbortController();
        const loop = app.worker({ concurrency: 4, prefetch: 4 }).run({ signal: stop.signal, pollIntervalMs: 10 });
        // With the long task holding one slot, three are free for the rest.
        const later = await Promise.all(Array.from({ length: 9 }, () => app.tasks.get("tasks.io")!.delay()));
        await Promise.all([...first.slice(1).map((m) => app.AsyncResult(m.headers.id)), ...later].map((r) => r.get({ timeout: 10_000, interval: 10 })));
        ok(peak <= 3, `at most 3 io tasks beside the long one, saw ${peak}`);
        held.open();
        await app.AsyncResult(first[0].headers.id).get({ timeout: 10_000, interval: 10 });
        stop.abort();
        await loop;
        equal(runs.size, 1);
      },
    },
    ...(["drain", "run"] as const).map((mode): Case => ({
      name: `${mode}: a task past its hard time limit is FAILURE at once but keeps its slot until its function settles`,
      fn: async () => {
        const app = makeApp(f);
        const log: string[] = [];
        const held = gate();
        const stuck = app.task("tasks.stuck", { timeLimit: 0.05 }, async () => {
          log.push("stuck start");
          await held.promise; // ignores its aborted signal
          log.push("stuck end");
        });
        const next = app.task("tasks.next", () => void log.push("next start"));
        const r1 = await stuck.delay();
        const r2 = await next.delay();
        const errors: unknown[] = [];
        const w = app.worker({ concurrency: 1, prefetch: 2, onError: (e) => errors.push(e) });
        const stop = new AbortController();
        const loop = mode === "run" ? w.run({ signal: stop.signal, pollIntervalMs: 10 }) : null;
        if (mode === "drain") {
          const report = await w.drain();
          deepEqual({ failed: report.failed, succeeded: report.succeeded }, { failed: 1, succeeded: 0 });
          equal((await w.drain()).processed, 0, "no slot: nothing claimed");
        } else {
          await until(() => errors.length > 0, 10_000);
          await delay(300); // time for a second task to start, if the slot were wrongly free
        }
        equal((await rejects(() => r1.get({ timeout: 10_000, interval: 10 }))).name, "TimeLimitExceeded");
        ok(errors.length === 1 && String(errors[0]).includes(`tasks.stuck[${r1.id}]`), String(errors));
        deepEqual(log, ["stuck start"]);
        held.open();
        await until(() => log.includes("stuck end"));
        if (mode === "drain") equal((await w.drain()).succeeded, 1);
        await r2.get({ timeout: 10_000, interval: 10 });
        stop.abort();
        await loop;
        deepEqual(log, ["stuck start", "stuck end", "next start"]);
      },
    })),
  ];
}
