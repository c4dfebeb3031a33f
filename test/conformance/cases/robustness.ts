import * as z from "zod";
import { buildMessage, chord, encodeMessage, FAILURE, SUCCESS } from "../../../mod.ts";
import type { Delivery, OutboundMessage, PullBroker, ResultWrite } from "../../../src/ports.ts";
import { deepEqual, equal, ok, rejects } from "../assert.ts";
import { manualClock } from "../../support/clock.ts";
import { delay, makeApp, pull, until, type Case, type Fixture } from "../harness.ts";

/** Bad input, budgets, the run loop and concurrency. */
export function robustnessCases(f: Fixture): Case[] {
  return [
    {
      name: "malformed messages go to the dead-letter list with the reason and the worker goes on",
      fn: async () => {
        const app = makeApp(f);
        const add = app.task("tasks.add", (a: number, b: number) => a + b);
        const good = buildMessage({ task: "tasks.add", args: [1, 2], queue: "celery" });
        const twoElement = JSON.parse(encodeMessage(good));
        twoElement.body = btoa(JSON.stringify([[1, 2], {}]));
        const noTask = JSON.parse(encodeMessage(good));
        delete noTask.headers.task;
        await app.broker.publish([
          { id: "a", queue: "celery", priority: 0, payload: "this is not json" },
          { id: "b", queue: "celery", priority: 0, payload: JSON.stringify(twoElement) },
          { id: "c", queue: "celery", priority: 0, payload: JSON.stringify(noTask) },
        ]);
        const r = await add.delay(2, 3);
        const report = await app.worker().drain();
        equal(report.deadLettered, 3);
        equal(await r.get(), 5);
        const dead = await pull(app).deadLetters(10);
        equal(dead.length, 3);
        const reasons = dead.map((d) => d.reason).join(" | ");
        ok(/not valid JSON/.test(reasons), reasons);
        ok(/body is not \[args, kwargs, embed\]/.test(reasons), reasons);
        ok(/task/.test(reasons), reasons);
        ok(dead.some((d) => d.payload === "this is not json"), "the original payload is kept");
        equal(dead[0].queue, "celery");
      },
    },
    {
      name: "an unknown task stores FAILURE NotRegistered and is dead-lettered",
      fn: async () => {
        const app = makeApp(f);
        const r = await app.sendTask("tasks.missing", [1]);
        const report = await app.worker().drain();
        equal(report.deadLettered, 1);
        equal(await r.state, FAILURE);
        equal((await r.meta())!.result && ((await r.meta())!.result as { exc_type: string }).exc_type, "NotRegistered");
        const [dead] = await pull(app).deadLetters(1);
        ok(dead.reason.includes("tasks.missing"));
      },
    },
    {
      name: "arguments that fail the schema at run time fail the task and are dead-lettered",
      fn: async () => {
        const pair = { broker: f.broker(), backend: f.backend() };
        const producer = makeApp(f, {}, pair);
        const worker = makeApp(f, {}, pair);
        worker.task("tasks.typed", { args: z.tuple([z.number()]) }, (n: number) => n * 2);
        const r = await producer.sendTask("tasks.typed", ["two"]);
        const report = await worker.worker().drain();
        equal(report.failed, 1);
        equal(report.deadLettered, 1);
        equal(((await r.meta())!.result as { exc_type: string }).exc_type, "ValidationError");
      },
    },
    {
      name: "drain honours maxTasks and budgetMs",
      fn: async () => {
        const app = makeApp(f);
        const t = app.task("tasks.slow", () => delay(40).then(() => 1));
        for (let i = 0; i < 6; i++) await t.delay();
        equal((await app.worker({ prefetch: 10 }).drain({ maxTasks: 2 })).processed, 2);
        const budget = await app.worker({ prefetch: 1 }).drain({ budgetMs: 60 });
        ok(budget.processed >= 1 && budget.processed < 4, `processed ${budget.processed}`);
        const rest = await app.worker().drain();
        equal(2 + budget.processed + rest.processed, 6);
      },
    },
    {
      name: "run processes tasks until its signal aborts",
      fn: async () => {
        const app = makeApp(f);
        const add = app.task("tasks.add", (a: number, b: number) => a + b);
        const ac = new AbortController();
        const loop = app.worker({ concurrency: 2 }).run({ signal: ac.signal, pollIntervalMs: 20 });
        const rs = await Promise.all([1, 2, 3].map((i) => add.delay(i, i)));
        deepEqual(await Promise.all(rs.map((r) => r.get({ timeout: 5000, interval: 10 }))), [2, 4, 6]);
        ac.abort();
        await loop;
      },
    },
    {
      name: "stopping run lets running tasks finish, or aborts them after shutdownTimeoutMs",
      fn: async () => {
        const app = makeApp(f);
        let started = 0;
        const t = app.task("tasks.careful", { bind: true }, async (self, ms: number) => {
          started++;
          await new Promise((resolve) => {
            const timer = setTimeout(resolve, ms);
            self.signal.addEventListener("abort", () => (clearTimeout(timer), resolve(null)));
          });
          return self.signal.aborted ? "aborted" : "finished";
        });
        // Without a shutdown timeout the 400 ms task finishes; with 50 ms a task that would run for
        // ten minutes is aborted: neither outcome depends on how fast the machine is.
        for (const [timeout, ms, expected] of [[undefined, 400, "finished"], [50, 600_000, "aborted"]] as const) {
          const ac = new AbortController();
          const loop = app.worker().run({ signal: ac.signal, pollIntervalMs: 10, shutdownTimeoutMs: timeout });
          const before = started;
          const r = await t.delay(ms);
          await until(() => started > before); // running when the stop comes
          ac.abort();
          await loop;
          equal(await r.get({ timeout: 1000 }), expected);
        }
      },
    },
    {
      name: "run never holds a message behind a long task while a slot is free",
      fn: async () => {
        const app = makeApp(f);
        const finished: string[] = [];
        let release!: () => void;
        const held = new Promise<void>((r) => (release = r));
        let longStarted = false;
        const t = app.task("tasks.hold", async (label: string) => {
          if (label === "long") longStarted = true, await held; // runs until the short one is done
          finished.push(label);
        });
        const ac = new AbortController();
        const loop = app.worker({ concurrency: 2 }).run({ signal: ac.signal, pollIntervalMs: 10 });
        const long = await t.delay("long");
        await until(() => longStarted);
        const short = await t.delay("short");
        await short.get({ timeout: 5000, interval: 10 }); // only while the long task still holds its slot
        release();
        await long.get({ timeout: 5000, interval: 10 });
        deepEqual(finished, ["short", "long"]);
        ac.abort();
        await loop;
      },
    },
    {
      name: "a chord body is sent even when the worker then fails to ack the last member",
      needs: ["visibilityTimeout"],
      fn: async () => {
        const real = f.broker();
        let dead = true;
        const dying: PullBroker = Object.assign(Object.create(real), {
          ack: (ds: Delivery[], rs?: ResultWrite[]) => dead ? Promise.reject(new Error("worker died")) : real.ack(ds, rs),
        });
        const app = makeApp(f, {}, { broker: dying, backend: f.backend() });
        const add = app.task("tasks.add", (a: number, b: number) => a + b);
        const xsum = app.task("tasks.xsum", (xs: number[]) => xs.reduce((x, y) => x + y, 0));
        const r = await chord([add.s(1, 1), add.s(2, 2)], xsum.s()).delay();
        await rejects(() => app.worker({ prefetch: 2 }).drain({ maxTasks: 2 }));
        dead = false;
        await app.worker().drain();
        equal(await r.get({ timeout: 1000 }), 6);
      },
    },
    {
      name: "a chord body whose publish failed is sent when the last member is redelivered",
      needs: ["visibilityTimeout"],
      fn: async () => {
        const real = f.broker();
        let publishes = 0;
        const flaky: PullBroker = Object.assign(Object.create(real), {
          // 1st publish: the chord's header; 2nd: its body, which fails once.
          publish: (m: OutboundMessage[]) => ++publishes === 2 ? Promise.reject(new Error("broker blip")) : real.publish(m),
        });
        const clock = manualClock(); // claims are judged at this time; it moves past the visibility timeout below
        const app = makeApp(f, {}, { broker: flaky, backend: f.backend() }, clock);
        const add = app.task("tasks.add", (a: number, b: number) => a + b);
        let bodyRuns = 0;
        const xsum = app.task("tasks.xsum", (xs: number[]) => (bodyRuns++, xs.reduce((x, y) => x + y, 0)));
        const r = await chord([add.s(1, 1), add.s(2, 2)], xsum.s()).delay();
        const errors: unknown[] = [];
        const worker = app.worker({ visibilityTimeout: 0.3, onError: (e) => errors.push(e) });
        await worker.drain();
        equal(errors.length, 1, "the failed body publish is reported");
        clock.advance(1100);
        for (let i = 0; i < 5 && bodyRuns === 0; i++) await worker.drain();
        equal(await r.get({ timeout: 1000 }), 6);
        equal(bodyRuns, 1);
      },
    },
    {
      name: "concurrency runs tasks of one batch at the same time",
      fn: async () => {
        const app = makeApp(f);
        let running = 0;
        let peak = 0;
        let allIn!: () => void;
        const together = new Promise<void>((r) => (allIn = r));
        const t = app.task("tasks.io", async () => {
          peak = Math.max(peak, ++running);
          if (running === 5) allIn();
          await Promise.race([together, delay(5000)]); // each waits for all five (or gives up: peak < 5)
          running--;
        });
        for (let i = 0; i < 5; i++) await t.delay();
        const report = await app.worker({ concurrency: 5 }).drain();
        equal(report.succeeded, 5);
        equal(peak, 5);
      },
    },
    {
      name: "an unacked message comes back after the visibility timeout, marked redelivered",
      needs: ["visibilityTimeout"],
      fn: async () => {
        const clock = manualClock(); // claims are judged at this time; it moves past the visibility timeout below
        const app = makeApp(f, {}, undefined, clock);
        const t = app.task("tasks.crashy", { bind: true }, (self) => self.request.deliveryInfo.redelivered);
        const r = await t.delay();
        const [lost] = await pull(app).claim(["celery"], { max: 1, visibilityMs: 300, now: clock.now() });
        ok(lost, "claimed");
        equal((await pull(app).claim(["celery"], { max: 1, visibilityMs: 300, now: clock.now() })).length, 0);
        clock.advance(1100);
        const report = await app.worker({ visibilityTimeout: 0.3 }).drain();
        equal(report.succeeded, 1);
        equal(await r.get(), true);
      },
    },
    {
      name: "a message with a future eta claimed early waits in the delayed set",
      fn: async () => {
        // Due is judged at the app's (manual) time; a broker whose delays run on the server's
        // clock (AMQP TTL queues) also needs the real 300 ms, so the second drain repeats until it ran.
        const clock = manualClock();
        const app = makeApp(f, {}, undefined, clock);
        const t = app.task("tasks.eta", () => "ran");
        const msg = buildMessage({ task: "tasks.eta", queue: "celery", eta: clock.now() + 300 });
        // Python Celery pushes ETA messages straight onto the queue; no notBefore here.
        await app.broker.publish([{ id: msg.headers.id, queue: "celery", priority: 0, payload: encodeMessage(msg) }]);
        const first = await app.worker().drain();
        equal(first.processed, 0);
        equal(first.requeued, 1);
        equal(await pull(app).size("celery"), 0);
        clock.advance(350);
        let succeeded = 0;
        await until(async () => (succeeded += (await app.worker().drain()).succeeded) >= 1, 10_000);
        equal(succeeded, 1);
        equal(await app.AsyncResult(msg.headers.id).get(), "ran");
        void t;
      },
    },
    {
      name: "three workers draining at once run each task exactly once",
      fn: async () => {
        const app = makeApp(f);
        let runs = 0;
        const t = app.task("tasks.count", () => ++runs);
        const rs = await Promise.all(Array.from({ length: 20 }, () => t.delay()));
        await Promise.all([app.worker().drain(), app.worker().drain(), app.worker().drain()]);
        await until(async () => (await Promise.all(rs.map((r) => r.ready()))).every(Boolean));
        equal(runs, 20);
        equal((await Promise.all(rs.map((r) => r.state))).filter((s) => s === SUCCESS).length, 20);
      },
    },
  ];
}
