/**
 * The conformance cases that make sense for a push broker, over the full push path
 * (push-harness.ts): nothing drains, every task is delivered to `worker.fetch` by QStash.
 * Pull-only cases (claim, visibility, requeue, drain/run loops) have no push counterpart.
 */
import { FAILURE, REVOKED, RETRY, TaskError, toOutbound, buildMessage } from "../../mod.ts";
import { chain, chord, group } from "../../src/canvas/mod.ts";
import { deepEqual, equal, ok, rejects } from "./assert.ts";
import type { Case } from "./harness.ts";
import type { PushEnv } from "./push-harness.ts";

const T = { timeout: 15_000 };

class Flaky extends Error {
  override name = "Flaky";
}

/** Push cases against a running environment (read lazily: cases run after `beforeAll`). */
export function pushCases(env: () => PushEnv): Case[] {
  const setup = () => {
    const e = env();
    const app = e.app();
    const calls: Record<string, number> = {};
    const count = (n: string): void => void (calls[n] = (calls[n] ?? 0) + 1);
    const add = app.task("tasks.add", (a: number, b: number) => (count("add"), a + b));
    const xsum = app.task("tasks.xsum", (ns: number[]) => ns.reduce((s, x) => s + x, 0));
    const fail = app.task("tasks.fail", (): number => {
      throw new TypeError("boom");
    });
    return { e, app, calls, add, xsum, fail };
  };
  return [
    {
      name: "push: delay runs the task and get returns its value; kwargs arrive",
      fn: async () => {
        const { app, add } = setup();
        const greet = app.task("tasks.greet", (name: string, o?: { punct?: string }) => `hi ${name}${o?.punct ?? ""}`);
        equal(await (await add.delay(2, 3)).get(T), 5);
        equal(await (await greet.applyAsync(["ann"], { kwargs: { punct: "!" } })).get(T), "hi ann!");
      },
    },
    {
      name: "push: a failure is stored in Celery's shape and get re-throws it",
      fn: async () => {
        const { fail } = setup();
        const r = await fail.delay();
        const err = await rejects(() => r.get(T), (x) => x instanceof TaskError);
        equal(err.name, "TypeError");
        equal(await r.state, FAILURE);
      },
    },
    {
      name: "push: self.retry is republished by the worker with its countdown, stores RETRY, then succeeds",
      fn: async () => {
        const { e, app } = setup();
        const attempts: number[] = [];
        const states: string[] = [];
        const t = app.task("tasks.flaky", { bind: true }, async (self) => {
          attempts.push(self.request.retries);
          if (self.request.retries > 0) states.push(await app.AsyncResult(self.request.id).state);
          if (self.request.retries < 2) self.retry({ countdown: 0.05, exc: new Flaky("again") });
          return "ok";
        });
        const r = await t.delay();
        equal(await r.get(T), "ok");
        deepEqual(attempts, [0, 1, 2]);
        deepEqual(states, [RETRY, RETRY]);
        await e.settled();
        equal(e.qstash.engine.dlq.size, 0);
      },
    },
    {
      name: "push: autoretryFor retries up to maxRetries, then fails with the original error",
      fn: async () => {
        const { app } = setup();
        let calls = 0;
        const t = app.task("tasks.auto", { autoretryFor: [Flaky], maxRetries: 2, retryKwargs: { countdown: 0 } }, () => {
          calls++;
          throw new Flaky("nope");
        });
        equal((await rejects(() => t.delay().then((r) => r.get(T)))).name, "Flaky");
        equal(calls, 3);
      },
    },
    {
      name: "push: link and linkError call back with the result or the failed id",
      fn: async () => {
        const { e, app, add, fail } = setup();
        const seen: string[] = [];
        const onErr = app.task("tasks.on_err", (id: string) => void seen.push(id));
        const r = await add.applyAsync([1, 2], { link: add.s(10) });
        const rb = await fail.applyAsync([], { linkError: onErr.s() });
        equal(await r.get(T), 3);
        await rejects(() => rb.get(T));
        await e.settled();
        const [child] = await r.children;
        equal(await child.get(T), 13);
        deepEqual(seen, [rb.id]);
      },
    },
    {
      name: "push: a revoked id is delivered but never run and reads REVOKED",
      fn: async () => {
        const e = env();
        const app = e.app({ broker: { queues: { held: { parallelism: 1 } } } });
        let ran = 0;
        const t = app.task("tasks.never", () => ++ran);
        const warm = await t.applyAsync([], { queue: "held" }); // creates the QStash queue
        equal(await warm.get(T), 1);
        e.qstash.engine.queue("held").paused = true; // hold deliveries while we revoke
        const r = await t.applyAsync([], { queue: "held" });
        await r.revoke();
        const delivered = e.qstash.stats.delivered;
        e.qstash.engine.queue("held").paused = false;
        e.qstash.engine.pump();
        await e.settled();
        ok(e.qstash.stats.delivered > delivered);
        equal(ran, 1);
        equal(await r.state, REVOKED);
      },
    },
    {
      name: "push: expired messages are REVOKED with reason expired",
      fn: async () => {
        const { app } = setup();
        let ran = 0;
        const t = app.task("tasks.late", () => ++ran);
        const r = await t.applyAsync([], { expires: new Date(Date.now() - 1000) });
        equal((await rejects(() => r.get(T))).name, "TaskRevokedError");
        equal(ran, 0);
      },
    },
    {
      name: "push: countdown holds a task until it is due",
      fn: async () => {
        const { app } = setup();
        const t = app.task("tasks.when", () => Date.now());
        const sent = Date.now();
        const r = await t.applyAsync([], { countdown: 0.3 });
        ok((await r.get(T)) as number >= sent + 300);
      },
    },
    {
      name: "push: canvas: chain passes results, group keeps order, chord sums its header",
      fn: async () => {
        const { add, xsum } = setup();
        equal(await (await chain(add.s(1, 2), add.s(3), add.s(4)).delay()).get(T), 10);
        const g = await group(Array.from({ length: 5 }, (_, i) => add.s(i, i))).delay();
        deepEqual(await g.get(T), [0, 2, 4, 6, 8]);
        equal(await (await chord(Array.from({ length: 4 }, (_, i) => add.s(i, 1)), xsum.s()).delay()).get(T), 10);
      },
    },
    {
      name: "push: a chord with a failing member stores ChordError on the body; map runs inline",
      fn: async () => {
        const { add, xsum, fail } = setup();
        const r = await chord([add.s(1, 1), fail.s()], xsum.s()).delay();
        const exc = (await r.get({ ...T, propagate: false })) as unknown as { exc_type: string };
        equal(exc.exc_type, "ChordError");
        deepEqual(await (await add.starmap([[1, 2], [3, 4]]).delay()).get(T), [3, 7]);
      },
    },
    {
      name: "push: a group of 10 is one /v2/batch call",
      fn: async () => {
        const { e, add } = setup();
        await e.settled();
        const before = e.qstash.stats.requests;
        const g = await group(Array.from({ length: 10 }, (_, i) => add.s(i, 0))).delay();
        equal(e.qstash.stats.requests - before, 1);
        deepEqual(await g.get(T), Array.from({ length: 10 }, (_, i) => i));
      },
    },
    {
      name: "push: a duplicate publish of one message runs it once",
      fn: async () => {
        const { e, app, calls } = setup();
        const out = toOutbound(buildMessage({ task: "tasks.add", args: [4, 4], queue: "celery" }));
        await app.broker.publish([out]);
        await app.broker.publish([out]);
        equal(await app.AsyncResult(out.id).get(T), 8);
        await e.settled();
        equal(calls.add, 1);
      },
    },
      {
      name: "push: the hard time limit fails the task; the soft limit aborts its signal",
      fn: async () => {
        const { app } = setup();
        const hard = app.task("tasks.hang", { timeLimit: 0.1 }, () => new Promise(() => {}));
        const soft = app.task("tasks.soft", { bind: true, softTimeLimit: 0.05, timeLimit: 5 }, (self) =>
          new Promise((resolve) => self.signal.addEventListener("abort", () => resolve((self.signal.reason as Error).name))));
        equal((await rejects(() => hard.delay().then((r) => r.get(T)))).name, "TimeLimitExceeded");
        equal(await (await soft.delay()).get(T), "SoftTimeLimitExceeded");
      },
    },
    {
      name: "push: trackStarted stores STARTED and updateState stores custom states",
      fn: async () => {
        const { app } = setup();
        const seen: string[] = [];
        const t = app.task("tasks.progress", { bind: true, trackStarted: true }, async (self) => {
          seen.push(await app.AsyncResult(self.request.id).state);
          await self.updateState("PROGRESS", { done: 50 });
          seen.push(await app.AsyncResult(self.request.id).state);
          return 1;
        });
        equal(await (await t.delay()).get(T), 1);
        deepEqual(seen, ["STARTED", "PROGRESS"]);
      },
    },
    {
      name: "push: rate-limited tasks each run once (one arriving too early is republished for later)",
      fn: async () => {
        const { e, app } = setup();
        let runs = 0;
        const t = app.task("tasks.limited", { rateLimit: "1/s" }, () => ++runs);
        const rs = [await t.delay(), await t.delay()];
        await Promise.all(rs.map((r) => r.get(T)));
        await e.settled();
        equal(runs, 2);
      },
    },
    {
      name: "push: taskRoutes to a queue listed in the broker go through that QStash queue, one at a time",
      fn: async () => {
        const e = env();
        const app = e.app({ broker: { queues: { serial: { parallelism: 1 } } }, conf: { taskRoutes: { "tasks.step": "serial" } } });
        let running = 0;
        let most = 0;
        const step = app.task("tasks.step", async (i: number) => {
          most = Math.max(most, ++running);
          await new Promise((r) => setTimeout(r, 20));
          running--;
          return i;
        });
        const rs = await Promise.all([1, 2, 3, 4].map((i) => step.delay(i)));
        deepEqual(await Promise.all(rs.map((r) => r.get(T))), [1, 2, 3, 4]);
        equal(most, 1);
        ok(e.qstash.engine.queues.has("serial"));
      },
    },
    {
      name: "push: canvas: chain ending in a chord, chord body that is a chain, nested chords",
      fn: async () => {
        const { app, add, xsum } = setup();
        const mul = app.task("tasks.mul", (a: number, b: number) => a * b);
        equal(await (await chain(add.s(1, 1), chord([add.s(1), add.s(2)], xsum.s())).delay()).get(T), 7);
        equal(await (await chord([add.s(1, 1), add.s(2, 2)], chain(xsum.s(), mul.s(10))).delay()).get(T), 60);
        const g = await group([chord([add.s(1, 1), add.s(2, 2)], xsum.s()), chord([add.s(3, 3)], xsum.s())]).delay();
        deepEqual(await g.get(T), [6, 6]);
      },
    },
    {
      name: "push: a chord body fires exactly once",
      fn: async () => {
        const { e, app, add } = setup();
        let bodies = 0;
        const body = app.task("tasks.body", (xs: number[]) => (bodies++, xs.length));
        const r = await chord([add.s(1, 1), add.s(2, 2)], body.s()).delay();
        equal(await r.get(T), 2);
        await e.settled();
        equal(bodies, 1);
      },
    },
  ];
}
