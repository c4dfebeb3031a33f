import * as z from "zod";
import { decodeMessage, PENDING, ResultTimeoutError, SUCCESS, ValidationError } from "../../../mod.ts";
import { deepEqual, equal, ok, rejects } from "../assert.ts";
import { makeApp, pairOf, pull, type Case, type Fixture } from "../harness.ts";

/** Sending, routing, the wire format and result handles. */
export function sendingCases(f: Fixture): Case[] {
  return [
    {
      name: "delay runs the task and get returns its value",
      fn: async () => {
        const app = makeApp(f);
        const add = app.task("tasks.add", (a: number, b: number) => a + b);
        const r = await add.delay(2, 2);
        equal(await r.state, PENDING);
        const report = await app.worker().drain({ maxTasks: 10 });
        equal(report.succeeded, 1);
        equal(await r.get({ timeout: 1000 }), 4);
        equal(await r.state, SUCCESS);
        ok(await r.ready());
        ok(await r.successful());
        equal(await r.failed(), false);
      },
    },
    {
      name: "kwargs reach the task as a final object argument",
      fn: async () => {
        const app = makeApp(f);
        const greet = app.task("tasks.greet", (name: string, opts?: { punct?: string }) => `hi ${name}${opts?.punct ?? ""}`);
        const r1 = await greet.applyAsync(["ann"], { kwargs: { punct: "!" } });
        const r2 = await greet.delay("bob");
        await app.worker().drain();
        equal(await r1.get(), "hi ann!");
        equal(await r2.get(), "hi bob");
      },
    },
    {
      name: "sendTask sends by name to a worker of another app",
      fn: async () => {
        const pair = pairOf(f);
        const client = makeApp(f, {}, pair);
        const server = makeApp(f, {}, pair);
        server.task("tasks.mul", (a: number, b: number) => a * b);
        const r = await client.sendTask("tasks.mul", [6, 7]);
        await server.worker().drain();
        equal(await r.get({ timeout: 1000 }), 42);
      },
    },
    {
      name: "messages are Celery protocol v2 with kombu's envelope",
      fn: async () => {
        const app = makeApp(f);
        const add = app.task("tasks.add", (a: number, b: number) => a + b);
        const r = await add.applyAsync([1, 1], { headers: { "x-custom": "v" }, expires: 600, timeLimit: 30, softTimeLimit: 20 });
        const [d] = await pull(app).claim(["celery"], { max: 1, visibilityMs: 60_000 });
        const env = JSON.parse(d.payload);
        equal(env["content-type"], "application/json");
        equal(env["content-encoding"], "utf-8");
        equal(env.properties.body_encoding, "base64");
        equal(typeof env.properties.delivery_tag, "string");
        deepEqual(env.properties.delivery_info, { exchange: "", routing_key: "celery" });
        equal(env.properties.correlation_id, r.id);
        equal(env.properties.delivery_mode, 2);
        const h = env.headers;
        equal(h.task, "tasks.add");
        equal(h.id, r.id);
        equal(h.root_id, r.id);
        equal(h.parent_id, null);
        equal(h.retries, 0);
        deepEqual(h.timelimit, [30, 20]);
        equal(h["x-custom"], "v");
        ok(/\+00:00$/.test(h.expires), "expires carries an offset");
        equal(h.argsrepr, "(1, 1)");
        const body = JSON.parse(atob(env.body));
        deepEqual(body, [[1, 1], {}, { callbacks: null, errbacks: null, chain: null, chord: null }]);
        equal(decodeMessage(d.payload).headers.id, r.id);
        await pull(app).ack([d]);
      },
    },
    {
      name: "taskRoutes send to their queue and workers consume the queues they are given",
      fn: async () => {
        const app = makeApp(f, { taskRoutes: { "math.*": "math", "tasks.loud": { queue: "loud", priority: 0 } } });
        const add = app.task("math.add", (a: number, b: number) => a + b);
        const r = await add.delay(1, 2);
        equal((await app.worker({ queues: ["celery"] }).drain()).processed, 0);
        equal(await pull(app).size("math"), 1);
        equal((await app.worker({ queues: ["math"] }).drain()).processed, 1);
        equal(await r.get(), 3);
        const r2 = await add.applyAsync([2, 2], { queue: "other" });
        equal(await pull(app).size("other"), 1);
        await app.worker({ queues: ["other"] }).drain();
        equal(await r2.get(), 4);
      },
    },
    {
      name: "workers take turns between queues (round robin) unless queueOrder is sorted",
      needs: ["claimAll"],
      fn: async () => {
        const app = makeApp(f);
        const seen: string[] = [];
        const t = app.task("tasks.where", (q: string) => void seen.push(q));
        for (const q of ["a", "a", "a", "b", "b", "b"]) await t.applyAsync([q], { queue: q });
        await app.worker({ queues: ["a", "b"], prefetch: 1 }).drain({ maxTasks: 4 });
        deepEqual(seen, ["a", "b", "a", "b"]);
        seen.length = 0;
        await app.worker({ queues: ["a", "b"], prefetch: 1, queueOrder: "sorted" }).drain();
        deepEqual(seen, ["a", "b"]);
      },
    },
    {
      name: "lower priority numbers are consumed first",
      needs: ["lowPriorityFirst"],
      fn: async () => {
        const app = makeApp(f);
        const order: number[] = [];
        const t = app.task("tasks.record", (n: number) => void order.push(n));
        await t.applyAsync([9], { priority: 9 });
        await t.applyAsync([5], { priority: 5 });
        await t.applyAsync([0], { priority: 0 });
        await t.applyAsync([7], { priority: 7 });
        await app.worker({ prefetch: 1 }).drain();
        deepEqual(order, [0, 5, 7, 9]);
      },
    },
    {
      name: "zod schemas reject bad arguments at send time with a ValidationError",
      fn: async () => {
        const app = makeApp(f);
        const fetchPage = app.task("tasks.fetch", { args: z.tuple([z.string().url()]), kwargs: z.object({ depth: z.number().optional() }) },
          (url: string) => url.length);
        const err = await rejects(() => fetchPage.delay("not a url"), (e) => e instanceof ValidationError);
        equal(err.task, "tasks.fetch");
        await rejects(() => fetchPage.applyAsync(["https://example.com"], { kwargs: { depth: "x" } }), (e) => e instanceof ValidationError);
        equal(await pull(app).size("celery"), 0);
        const r = await fetchPage.delay("https://example.com");
        await app.worker().drain();
        equal(await r.get(), 19);
      },
    },
    {
      name: "get times out with ResultTimeoutError and forget removes the result",
      fn: async () => {
        const app = makeApp(f);
        const add = app.task("tasks.add", (a: number, b: number) => a + b);
        const r = await add.delay(1, 1);
        await rejects(() => r.get({ timeout: 50, interval: 10 }), (e) => e instanceof ResultTimeoutError);
        const ac = new AbortController();
        const waiting = r.get({ signal: ac.signal, interval: 10 });
        ac.abort(new Error("stop"));
        await rejects(() => waiting, (e) => e.message === "stop");
        await app.worker().drain();
        equal(await r.get(), 2);
        await r.forget();
        equal(await r.state, PENDING);
      },
    },
    {
      name: "results expire after resultExpires",
      fn: async () => {
        const app = makeApp(f, { resultExpires: 1 });
        const add = app.task("tasks.add", (a: number, b: number) => a + b);
        const r = await add.delay(1, 1);
        await app.worker().drain();
        equal(await r.state, SUCCESS);
        await new Promise((res) => setTimeout(res, 1150));
        equal(await r.state, PENDING);
      },
    },
    {
      name: "ignoreResult stores nothing",
      fn: async () => {
        const app = makeApp(f);
        let ran = 0;
        const t = app.task("tasks.quiet", { ignoreResult: true }, () => ++ran);
        const r = await t.delay();
        const r2 = await app.task("tasks.loud", () => 1).applyAsync([], { ignoreResult: true });
        await app.worker().drain();
        equal(ran, 1);
        equal(await r.state, PENDING);
        equal(await r2.state, PENDING);
      },
    },
  ];
}
