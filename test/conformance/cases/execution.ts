import {
  FAILURE, MaxRetriesExceededError, RETRY, REVOKE_RECHECK_MS, REVOKED, STARTED, SUCCESS, TaskError, type TaskContext,
} from "../../../mod.ts";
import type { TaskEvent } from "../../../mod.ts";
import { deepEqual, equal, ok, rejects } from "../assert.ts";
import { manualClock } from "../../support/clock.ts";
import { delay, makeApp, pull, until, type Case, type Fixture } from "../harness.ts";

class Flaky extends Error {
  override name = "Flaky";
}

/** Running tasks: request context, failures, retries, limits and states. */
export function executionCases(f: Fixture): Case[] {
  return [
    {
      name: "a bound task sees its request",
      fn: async () => {
        const app = makeApp(f);
        let seen: TaskContext["request"] | undefined;
        const t = app.task("tasks.ctx", { bind: true }, (self, a: number) => {
          seen = self.request;
          return a;
        });
        const r = await t.applyAsync([5], { kwargs: { k: 1 }, headers: { tenant: "acme" }, queue: "celery", priority: 3 });
        await app.worker({ hostname: "w1@test" }).drain();
        equal(await r.get(), 5);
        ok(seen);
        equal(seen.id, r.id);
        deepEqual(seen.args, [5]);
        deepEqual(seen.kwargs, { k: 1 });
        equal(seen.retries, 0);
        equal(seen.rootId, r.id);
        equal(seen.parentId, null);
        equal(seen.headers.tenant, "acme");
        equal(seen.deliveryInfo.routingKey, "celery");
        equal(seen.deliveryInfo.priority, 3);
        equal(seen.hostname, "w1@test");
      },
    },
    {
      name: "a failure is stored in Celery's shape and get re-throws it by type name",
      fn: async () => {
        const app = makeApp(f);
        const t = app.task("tasks.boom", () => {
          throw new TypeError("bad input");
        });
        const r = await t.delay();
        await app.worker().drain();
        equal(await r.state, FAILURE);
        const meta = await r.meta();
        deepEqual(meta!.result, { exc_type: "TypeError", exc_message: ["bad input"], exc_module: "builtins" });
        ok(typeof meta!.traceback === "string" && meta!.traceback.includes("bad input"));
        ok(typeof meta!.date_done === "string");
        deepEqual(meta!.children, []);
        const err = await rejects(() => r.get(), (e) => e instanceof TaskError);
        equal(err.name, "TypeError");
        deepEqual(await r.get({ propagate: false }), meta!.result);
      },
    },
    {
      name: "self.retry republishes the same id with retries+1 and stores RETRY",
      needs: ["injectedClock"],
      fn: async () => {
        const clock = manualClock(); // the 50 ms countdown comes due only when the test says so
        const app = makeApp(f, {}, undefined, clock);
        const attempts: number[] = [];
        const t = app.task("tasks.flaky", { bind: true }, (self) => {
          attempts.push(self.request.retries);
          if (self.request.retries < 2) self.retry({ countdown: 0.05, exc: new Flaky("again") });
          return "ok";
        });
        const r = await t.delay();
        const first = await app.worker().drain();
        equal(first.retried, 1);
        equal(await r.state, RETRY);
        deepEqual((await r.meta())!.result, { exc_type: "Flaky", exc_message: ["again"], exc_module: "celeriac" });
        for (let i = 0; i < 20 && !(await r.ready()); i++) {
          clock.advance(60);
          await app.worker().drain();
        }
        equal(await r.get(), "ok");
        deepEqual(attempts, [0, 1, 2]);
      },
    },
    {
      name: "retrying past maxRetries fails with the original error or MaxRetriesExceededError",
      fn: async () => {
        const app = makeApp(f);
        const withExc = app.task("tasks.r1", { bind: true, maxRetries: 1 }, (self) => self.retry({ countdown: 0, exc: new Flaky("x") }));
        const noExc = app.task("tasks.r2", { bind: true, maxRetries: 0 }, (self) => self.retry({ countdown: 0 }));
        const r1 = await withExc.delay();
        const r2 = await noExc.delay();
        for (let i = 0; i < 5; i++) await app.worker().drain();
        equal(await r1.state, FAILURE);
        equal((await rejects(() => r1.get())).name, "Flaky");
        equal((await rejects(() => r2.get())).name, new MaxRetriesExceededError("").name);
      },
    },
    {
      name: "autoretryFor retries matching errors up to maxRetries",
      fn: async () => {
        const app = makeApp(f);
        let calls = 0;
        const t = app.task("tasks.auto", { autoretryFor: [Flaky], maxRetries: 2, retryKwargs: { countdown: 0 } }, () => {
          calls++;
          throw new Flaky("nope");
        });
        const other = app.task("tasks.other", { autoretryFor: [Flaky] }, () => {
          throw new RangeError("not retried");
        });
        const r = await t.delay();
        const r2 = await other.delay();
        for (let i = 0; i < 6; i++) await app.worker().drain();
        equal(calls, 3);
        equal((await rejects(() => r.get())).name, "Flaky");
        equal((await rejects(() => r2.get())).name, "RangeError");
      },
    },
    {
      name: "the hard time limit fails the task and the soft limit aborts its signal",
      fn: async () => {
        const app = makeApp(f);
        const hard = app.task("tasks.hang", { timeLimit: 0.1 }, () => new Promise(() => {}));
        let reason = "";
        const soft = app.task("tasks.soft", { bind: true, softTimeLimit: 0.05, timeLimit: 2 }, (self) =>
          new Promise((resolve) => self.signal.addEventListener("abort", () => {
            reason = (self.signal.reason as Error).name;
            resolve("cleaned up");
          })));
        const r1 = await hard.delay();
        const r2 = await soft.applyAsync([]);
        await app.worker({ concurrency: 2 }).drain();
        equal((await rejects(() => r1.get())).name, "TimeLimitExceeded");
        equal(await r2.get(), "cleaned up");
        equal(reason, "SoftTimeLimitExceeded");
      },
    },
    {
      name: "trackStarted stores STARTED and updateState stores custom states",
      fn: async () => {
        const app = makeApp(f);
        const seen: string[] = [];
        const t = app.task("tasks.progress", { bind: true, trackStarted: true }, async (self) => {
          seen.push(await app.AsyncResult(self.request.id).state);
          await self.updateState("PROGRESS", { done: 50 });
          seen.push(await app.AsyncResult(self.request.id).state);
          deepEqual(await app.AsyncResult(self.request.id).result, { done: 50 });
          return 1;
        });
        const r = await t.delay();
        await app.worker().drain();
        deepEqual(seen, [STARTED, "PROGRESS"]);
        equal(await r.get(), 1);
      },
    },
    {
      name: "link and linkError call back with the result or the failed id",
      fn: async () => {
        const app = makeApp(f);
        const add = app.task("tasks.add", (a: number, b: number) => a + b);
        const boom = app.task("tasks.boom", () => {
          throw new Error("x");
        });
        const seenIds: string[] = [];
        const onErr = app.task("tasks.on_err", (id: string) => void seenIds.push(id));
        const r = await add.applyAsync([1, 2], { link: add.s(10) });
        const rb = await boom.applyAsync([], { linkError: onErr.s() });
        for (let i = 0; i < 3; i++) await app.worker().drain();
        const [child] = await r.children;
        equal(await child.get(), 13);
        equal((await child.meta())!.parent_id, r.id);
        deepEqual(seenIds, [rb.id]);
      },
    },
    {
      name: "revoked tasks are never run and read REVOKED",
      fn: async () => {
        const app = makeApp(f);
        let ran = 0;
        const t = app.task("tasks.never", () => ++ran);
        const r = await t.delay();
        await r.revoke();
        equal(await r.state, REVOKED);
        await app.worker().drain();
        equal(ran, 0);
        equal((await rejects(() => r.get())).name, "TaskRevokedError");
      },
    },
    {
      name: "a message the worker already holds and then revoked is REVOKED at start and never runs",
      fn: async () => {
        // Claimed with the blocker, it waits for the one lane; app.revoke comes after that claim.
        const clock = manualClock();
        const app = makeApp(f, {}, undefined, clock);
        let release!: () => void;
        const gate = new Promise<void>((r) => (release = r));
        let blockerStarted!: () => void;
        const started = new Promise<void>((r) => (blockerStarted = r));
        const ran: string[] = [];
        const blocker = app.task("tasks.block", async () => (blockerStarted(), await gate, ran.push("block")));
        const note = app.task("tasks.note", (label: string) => void ran.push(label));
        await blocker.delay();
        const b = await note.delay("b");
        const c = await note.delay("c");
        const draining = app.worker({ concurrency: 1, prefetch: 10 }).drain();
        await started;
        await app.revoke([b.id]);
        clock.advance(REVOKE_RECHECK_MS);
        release();
        const report = await draining;
        deepEqual(ran, ["block", "c"]);
        deepEqual([report.processed, report.succeeded, report.revoked], [3, 2, 1]);
        equal(await b.state, REVOKED);
        equal(await c.state, SUCCESS);
      },
    },
    {
      name: "expired messages are REVOKED with reason expired",
      needs: ["expiresRevoked"],
      fn: async () => {
        const app = makeApp(f);
        let ran = 0;
        const t = app.task("tasks.late", () => ++ran);
        const r = await t.applyAsync([], { expires: new Date(Date.now() - 1000) });
        await app.worker().drain();
        equal(ran, 0);
        equal(await r.state, REVOKED);
        deepEqual((await r.meta())!.result, { exc_type: "TaskRevokedError", exc_message: ["expired"], exc_module: "celery.exceptions" });
      },
    },
    {
      name: "countdown and eta hold a task until it is due",
      fn: async () => {
        // Due is judged at the app's (manual) time; a broker whose delays run on the server's
        // clock (AMQP TTL queues) also needs the real 300 ms, so the second drain repeats until both ran.
        const clock = manualClock();
        const app = makeApp(f, {}, undefined, clock);
        const t = app.task("tasks.later", () => clock.now());
        const sent = clock.now();
        const r = await t.applyAsync([], { countdown: 0.3 });
        const r2 = await t.applyAsync([], { eta: new Date(clock.now() + 300) });
        equal((await app.worker().drain()).processed, 0);
        clock.advance(350);
        let processed = 0;
        await until(async () => (processed += (await app.worker().drain()).processed) >= 2, 10_000);
        equal(processed, 2);
        ok((await r.get()) as number >= sent + 300);
        ok((await r2.get()) as number >= sent + 300);
      },
    },
    {
      name: "a rate limit spaces runs on one worker",
      fn: async () => {
        // The limiter reads the app's (manual) time, which moves 100 ms a round; the real pause
        // is for brokers whose requeue delays run on the server's clock (AMQP TTL queues).
        const clock = manualClock();
        const app = makeApp(f, {}, undefined, clock);
        const t = app.task("tasks.limited", { rateLimit: "5/s" }, () => clock.now());
        const rs = [await t.delay(), await t.delay(), await t.delay()];
        const w = app.worker();
        const first = await w.drain();
        equal(first.processed, 1);
        for (let i = 0; i < 30 && !(await Promise.all(rs.map((r) => r.ready()))).every(Boolean); i++) {
          clock.advance(100);
          await delay(100);
          await w.drain();
        }
        const times = (await Promise.all(rs.map((r) => r.get()))) as number[];
        times.sort((a, b) => a - b);
        ok(times[2] - times[0] >= 350, `runs spaced by the rate: ${times[2] - times[0]} ms`);
      },
    },
    {
      name: "workers report Celery-style task events",
      fn: async () => {
        const app = makeApp(f);
        const events: TaskEvent[] = [];
        const add = app.task("tasks.add", (a: number, b: number) => a + b);
        const boom = app.task("tasks.boom", () => {
          throw new TypeError("nope");
        });
        const again = app.task("tasks.again", { bind: true }, (self) => self.retry({ countdown: 60, exc: new Error("later") }));
        const ok1 = await add.delay(1, 2);
        const bad = await boom.delay();
        const rt = await again.delay();
        const rv = await add.delay(0, 0);
        await rv.revoke();
        await pull(app).publish([{ id: "x", queue: "celery", priority: 0, payload: "garbage" }]);
        await app.worker({ hostname: "ev@test", onEvent: (e) => events.push(e) }).drain();
        const of = (id: string | null) => events.filter((e) => e.uuid === id).map((e) => e.type);
        deepEqual(of(ok1.id), ["task-received", "task-started", "task-succeeded"]);
        deepEqual(of(bad.id), ["task-received", "task-started", "task-failed"]);
        deepEqual(of(rt.id), ["task-received", "task-started", "task-retried"]);
        deepEqual(of(rv.id), ["task-received", "task-revoked"]);
        deepEqual(of(null), ["task-rejected"]);
        const succeeded = events.find((e) => e.type === "task-succeeded")!;
        equal(succeeded.result, 3);
        equal(succeeded.name, "tasks.add");
        equal(succeeded.hostname, "ev@test");
        ok(typeof succeeded.runtime === "number" && succeeded.runtime >= 0);
        equal(events.find((e) => e.type === "task-failed")!.exception, "TypeError('nope')");
        ok(events.find((e) => e.type === "task-retried")!.eta);
      },
    },
    {
      name: "a stored SUCCESS is never overwritten",
      fn: async () => {
        const app = makeApp(f);
        const t = app.task("tasks.once", () => "first");
        const r = await t.delay();
        await app.worker().drain();
        await app.backend.set([{ meta: { status: FAILURE, result: null, traceback: null, children: [], date_done: null, task_id: r.id }, ttlMs: 60_000 }]);
        equal(await r.state, SUCCESS);
        equal(await r.get(), "first");
      },
    },
  ];
}
