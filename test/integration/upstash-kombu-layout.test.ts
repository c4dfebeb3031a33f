import { Redis as IORedis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Celeriac, type Celeriac as App } from "../../mod.ts";
import { upstashRedis, upstashRedisBackend, upstashRedisBroker } from "../../adapters/upstash-redis/mod.ts";
import type { PullBroker } from "../../src/ports.ts";
import { manualClock } from "../support/clock.ts";
import { startUpstash, type UpstashEnv } from "../support/upstash.ts";

// What the adapter leaves in Redis, read back with a plain TCP client: kombu's and Celery's layout
// (docs/wire-format.md §1, §3, §4), so Python Celery shares the same keys.
let env: UpstashEnv;
let raw: IORedis;

beforeAll(async () => {
  env = await startUpstash("upstash-kombu-layout");
  raw = new IORedis(env.redisUrl);
});

afterAll(async () => {
  raw?.disconnect();
  await env?.close();
});

function newApp(prefix: string): App {
  return new Celeriac("layout", { ...upstashRedis({ redis: env.client(), prefix }) });
}

describe("upstash-redis kombu layout", () => {
  it("upstash-redis: with eta: \"queue\" a countdown task waits on the list, as Celery sends it, and runs once when due", async () => {
    const p = env.prefix("etaq");
    const clock = manualClock(); // the countdown comes due when the test advances it, not under load
    const redis = env.client();
    const broker = upstashRedisBroker({ redis, prefix: p, eta: "queue", now: clock.now });
    const app = new Celeriac("layout", { broker, backend: upstashRedisBackend({ redis, prefix: p }), clock });
    let runs = 0;
    const t = app.task("tasks.later", () => ++runs);
    const r = await t.applyAsync([], { countdown: 0.5 });
    expect(await raw.llen(`${p}celery`)).toBe(1);
    expect(await raw.zcard(`${p}_celeriac.delayed`)).toBe(0);
    expect((await app.worker().drain()).requeued).toBe(1); // claimed early: moved to the delayed set
    expect(await raw.llen(`${p}celery`)).toBe(0);
    clock.advance(600);
    await app.worker().drain();
    await app.worker().drain();
    expect(await r.get({ timeout: 1000 })).toBe(1);
    expect(runs).toBe(1);
  });

  it("upstash-redis: delay LPUSHes kombu's JSON envelope onto the queue list", async () => {
    const p = env.prefix("list");
    const app = newApp(p);
    const add = app.task("tasks.add", (a: number, b: number) => a + b);
    const r = await add.delay(2, 3);
    expect(await raw.type(`${p}celery`)).toBe("list");
    const [text] = await raw.lrange(`${p}celery`, 0, -1);
    const env_ = JSON.parse(text!);
    expect(Object.keys(env_).sort()).toEqual(["body", "content-encoding", "content-type", "headers", "properties"]);
    expect(env_["content-type"]).toBe("application/json");
    expect(env_["content-encoding"]).toBe("utf-8");
    expect(JSON.parse(atob(env_.body))).toEqual([[2, 3], {}, { callbacks: null, errbacks: null, chain: null, chord: null }]);
    expect(env_.headers).toMatchObject({ task: "tasks.add", id: r.id, root_id: r.id, parent_id: null, retries: 0, eta: null, timelimit: [null, null] });
    expect(env_.properties).toMatchObject({
      correlation_id: r.id, delivery_mode: 2, priority: 0, body_encoding: "base64",
      delivery_info: { exchange: "", routing_key: "celery" },
    });
    expect(env_.properties.delivery_tag).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("upstash-redis: priorities land in kombu's lists q, q\\x06\\x163, q\\x06\\x166, q\\x06\\x169", async () => {
    const p = env.prefix("prio");
    const app = newApp(p);
    const t = app.task("tasks.p", () => 1);
    for (const priority of [0, 2, 3, 5, 7, 9]) await t.applyAsync([], { priority, queue: "q" });
    const len = (suffix: string): Promise<number> => raw.llen(`${p}q${suffix}`);
    expect([await len(""), await len("\x06\x163"), await len("\x06\x166"), await len("\x06\x169")]).toEqual([2, 2, 1, 1]);
    const [seven] = await raw.lrange(`${p}q\x06\x166`, 0, -1);
    expect(JSON.parse(seven!).properties.priority).toBe(7);
  });

  it("upstash-redis: a claim records kombu's unacked value and index; a restore marks redelivered at the head", async () => {
    const p = env.prefix("unacked");
    const app = newApp(p);
    const t = app.task("tasks.x", () => 1);
    await t.delay();
    await t.delay();
    const [text] = await raw.lrange(`${p}celery`, -1, -1);
    const tag = JSON.parse(text!).properties.delivery_tag;
    const clock = manualClock(); // the claims' time: it moves past the visibility timeout below
    const before = clock.now() / 1000;
    const [d] = await (app.broker as PullBroker).claim(["celery"], { max: 1, visibilityMs: 200, now: clock.now() });
    expect(d!.tag).toBe(tag);
    const value = await raw.hget(`${p}unacked`, tag);
    expect(value).toBe(`[${text}, "", "celery"]`);
    const score = Number(await raw.zscore(`${p}unacked_index`, tag));
    expect(score).toBeGreaterThanOrEqual(Math.floor(before));
    expect(score).toBeLessThan(before + 5);
    clock.advance(250);
    // Restored to the head of its queue (only a claim on that queue restores it), so claimed first.
    const [again] = await (app.broker as PullBroker).claim(["celery"], { max: 1, visibilityMs: 200, now: clock.now() });
    expect(await raw.hlen(`${p}unacked`)).toBe(1);
    const head = JSON.parse(again!.payload);
    expect(head.headers.redelivered).toBe(true);
    expect(head.properties.delivery_info.redelivered).toBe(true);
    delete head.headers.redelivered;
    delete head.properties.delivery_info.redelivered;
    expect(head).toEqual(JSON.parse(text!));
  });

  it("upstash-redis: results are celery-task-meta-<id> with a TTL, published on the same channel", async () => {
    const p = env.prefix("result");
    const app = newApp(p);
    const add = app.task("tasks.add", (a: number, b: number) => a + b);
    const r = await add.delay(20, 22);
    const sub = new IORedis(env.redisUrl);
    const published = new Promise<string>((resolve) => sub.on("message", (_ch: string, msg: string) => resolve(msg)));
    await sub.subscribe(`${p}celery-task-meta-${r.id}`);
    try {
      await app.worker().drain();
      const stored = JSON.parse((await raw.get(`${p}celery-task-meta-${r.id}`))!);
      expect(stored).toMatchObject({ status: "SUCCESS", result: 42, traceback: null, children: [], task_id: r.id });
      expect(stored.date_done).toEqual(expect.any(String));
      expect(await raw.pttl(`${p}celery-task-meta-${r.id}`)).toBeGreaterThan(86_000_000);
      expect(JSON.parse(await published)).toEqual(stored);
    } finally {
      sub.disconnect();
    }
  });

  it("upstash-redis: a message written the way Python kombu writes it runs", async () => {
    const p = env.prefix("python");
    const app = newApp(p);
    app.task("tasks.add", (a: number, b: number) => a + b);
    const id = "33333333-3333-3333-3333-333333333333";
    const body = btoa(JSON.stringify([[1, 1], {}, { callbacks: null, errbacks: null, chain: null, chord: null }]));
    const python = `{"body": "${body}", "content-encoding": "utf-8", "content-type": "application/json", ` +
      `"headers": {"lang": "py", "task": "tasks.add", "id": "${id}", "shadow": null, "eta": null, "expires": null, ` +
      `"group": null, "group_index": null, "retries": 0, "timelimit": [null, null], "root_id": "${id}", "parent_id": null, ` +
      `"argsrepr": "(1, 1)", "kwargsrepr": "{}", "origin": "gen6560@vm", "ignore_result": false}, ` +
      `"properties": {"correlation_id": "${id}", "reply_to": "0dbab0dc", "delivery_mode": 2, ` +
      `"delivery_info": {"exchange": "", "routing_key": "celery"}, "priority": 0, "body_encoding": "base64", ` +
      `"delivery_tag": "3e92581b-c65f-4612-9d74-febd89c3caf9"}}`;
    await raw.lpush(`${p}celery`, python);
    expect((await app.worker().drain()).succeeded).toBe(1);
    expect(await app.AsyncResult(id).get()).toBe(2);
  });
});
