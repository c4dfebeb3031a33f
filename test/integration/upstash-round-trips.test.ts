import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Celeriac, type Celeriac as App } from "../../mod.ts";
import { upstashRedis, upstashSse } from "../../adapters/upstash-redis/mod.ts";
import type { PullBroker } from "../../src/ports.ts";
import { defineScript } from "../../adapters/upstash-redis/lua/define.ts";
import { startUpstash, type UpstashEnv } from "../support/upstash.ts";

// The round-trip budget of docs/upstash-redis.md, counted as HTTP requests at the endpoint.
let env: UpstashEnv;

beforeAll(async () => {
  env = await startUpstash("upstash-round-trips");
});

afterAll(async () => {
  await env?.close();
});

function newApp(): App {
  const { broker, backend } = upstashRedis({ sse: upstashSse, redis: env.client(), prefix: env.prefix("rt") });
  return new Celeriac("rt", { broker, backend });
}

async function warmScripts(app: App): Promise<void> {
  await (app.broker as PullBroker).claim(["warm-up"], { max: 1, visibilityMs: 1000 });
  const meta = { status: "SUCCESS", result: null, traceback: null, children: [], date_done: null, task_id: "warm-up" };
  await app.backend.set([{ meta, ttlMs: 1000 }]);
}

async function count(fn: () => Promise<unknown>): Promise<{ requests: number; commands: number }> {
  env.server.resetStats();
  await fn();
  return { ...env.server.stats };
}

describe("upstash-redis round trips", () => {
  it("upstash-redis: delay costs one request: LPUSH and the wake-up PUBLISH (one command without wake-ups)", async () => {
    const app = newApp();
    const add = app.task("tasks.add", (a: number, b: number) => a + b);
    await add.delay(0, 0); // a queue's first publish also writes its _kombu.binding set (one SADD in the same request)
    expect(await count(() => add.delay(1, 2))).toEqual({ requests: 1, commands: 2 });
    expect(await count(() => add.applyAsync([1, 2], { countdown: 60 }))).toEqual({ requests: 1, commands: 2 });
    const quiet = new Celeriac("rt", upstashRedis({ sse: upstashSse, redis: env.client(), prefix: env.prefix("rt"), idle: { publishWakeups: false } }));
    const add2 = quiet.task("tasks.add", (a: number, b: number) => a + b);
    await add2.delay(0, 0);
    expect(await count(() => add2.delay(1, 2))).toEqual({ requests: 1, commands: 1 });
  });

  it("upstash-redis: a batch of N messages over several queues and ETAs is one request", async () => {
    const app = newApp();
    const msgs = Array.from({ length: 50 }, (_, i) =>
      app.buildMessage("tasks.add", [i, i], { queue: i % 2 ? "a" : "b", priority: i % 10, countdown: i % 5 ? undefined : 60 })
    );
    const c = await count(() => app.publish(msgs));
    expect(c.requests).toBe(1);
    expect(c.commands).toBeLessThanOrEqual(12); // one LPUSH per list + one ZADD + a first use's SADD per queue + the wake-up
  });

  it("upstash-redis: draining N tasks is one claim and one ack-with-results request", async () => {
    const app = newApp();
    const add = app.task("tasks.add", (a: number, b: number) => a + b);
    const n = 25;
    const results = await Promise.all(Array.from({ length: n }, (_, i) => add.delay(i, i)));
    await warmScripts(app); // a script's first use on a fresh Redis costs one more request (last test)
    const c = await count(() => app.worker({ prefetch: n }).drain({ maxTasks: n }));
    expect(c).toEqual({ requests: 2, commands: 2 });
    expect(await results[n - 1].get({ timeout: 1000 })).toBe(2 * (n - 1));
    // Without maxTasks, a claim size above N shows the queue ran dry: no extra claim.
    await Promise.all(Array.from({ length: n }, (_, i) => add.delay(i, i)));
    expect(await count(() => app.worker({ prefetch: 100 }).drain())).toEqual({ requests: 2, commands: 2 });
    // A claim size of exactly N cannot tell, so it asks once more and finds the queue empty.
    await Promise.all(Array.from({ length: n }, (_, i) => add.delay(i, i)));
    expect(await count(() => app.worker({ prefetch: n }).drain())).toEqual({ requests: 3, commands: 3 });
  });

  it("upstash-redis: batch-mates of a long task are acked in one extra request while it runs", async () => {
    const { broker, backend } = upstashRedis({ sse: upstashSse, redis: env.client(), prefix: env.prefix("rt") });
    let acks = 0;
    const watched: PullBroker = Object.assign(Object.create(broker), {
      ack: (...a: Parameters<PullBroker["ack"]>) => broker.ack(...a).then(() => void acks++),
    });
    const app = new Celeriac("rt", { broker: watched, backend });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    app.task("tasks.long", () => held);
    const add = app.task("tasks.add", (a: number, b: number) => a + b);
    await app.sendTask("tasks.long");
    const shorts = await Promise.all(Array.from({ length: 7 }, (_, i) => add.delay(i, i)));
    await warmScripts(app);
    env.server.resetStats();
    const drained = app.worker({ concurrency: 8, prefetch: 100 }).drain();
    for (const end = Date.now() + 10_000; acks === 0; await new Promise((r) => setTimeout(r, 10))) {
      if (Date.now() > end) throw new Error("the finished batch-mates were not acked within 10 s");
    }
    const early = { ...env.server.stats };
    release();
    await drained;
    // The claim, then the seven finished ones acked with their results, then the long one.
    expect({ early, all: { ...env.server.stats } }).toEqual({ early: { requests: 2, commands: 2 }, all: { requests: 3, commands: 3 } });
    expect(await Promise.all(shorts.map((r) => r.get({ timeout: 1000 })))).toEqual([0, 2, 4, 6, 8, 10, 12]);
  });

  it("upstash-redis: not-yet-due and malformed messages in a batch settle in the same request as the acks", async () => {
    const app = new Celeriac("rt", { ...upstashRedis({ sse: upstashSse, redis: env.client(), prefix: env.prefix("rt"), eta: "queue" }) });
    const add = app.task("tasks.add", (a: number, b: number) => a + b);
    const broker = app.broker as PullBroker;
    const send = async (): Promise<void> => {
      await add.delay(1, 1);
      await Promise.all([1, 2, 3].map((i) => add.applyAsync([i, i], { countdown: 60 }))); // ETA on the list, as Celery
      await broker.publish([{ id: crypto.randomUUID(), queue: "celery", priority: 0, payload: "not json" }]);
    };
    await send();
    await app.worker({ prefetch: 100 }).drain(); // first use of each script costs one more request
    await send();
    // claim, then settle + 3 requeues + 1 dead letter pipelined together by the client
    expect(await count(() => app.worker({ prefetch: 100 }).drain())).toEqual({ requests: 2, commands: 6 });
    expect((await broker.deadLetters(2)).map((d) => d.payload)).toEqual(["not json", "not json"]);
  });

  it("upstash-redis: a script's first use costs one extra request (EVALSHA, NOSCRIPT, then EVAL)", async () => {
    const unique = defineScript({ name: "probe", keys: ["k"], lua: `-- ${crypto.randomUUID()}\nreturn '[1]'` });
    const redis = env.client();
    const call = { keys: { k: `${env.runPrefix}probe` }, args: [] };
    expect((await count(() => unique.run(redis, call))).requests).toBe(2);
    expect((await count(() => unique.run(redis, call))).requests).toBe(1);
  });
});
