// The dashboard's reads on the Redis adapters (Upstash over the local endpoint, TCP over
// ioredis), against real Redis: `PullBroker.stats` counts, `ResultBackend.recent` newest
// first and capped, what they cost in requests, and that Python Celery 5.2.6 reads a record
// with the `result_extended` fields celeriac writes.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { Redis as IORedis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisBackend, redisBroker } from "../../adapters/redis/mod.ts";
import { RECENT_MAX } from "../../adapters/upstash-redis/keys.ts";
import { upstashRedis } from "../../adapters/upstash-redis/mod.ts";
import { Celeriac } from "../../mod.ts";
import type { PullBroker, ResultBackend, ResultWrite } from "../../src/ports.ts";
import { startRedisTcp, type RedisTcpEnv } from "../support/redis-tcp.ts";
import { startUpstash, type UpstashEnv } from "../support/upstash.ts";

const run = promisify(execFile);
let up: UpstashEnv;
let tcp: RedisTcpEnv;

beforeAll(async () => {
  [up, tcp] = await Promise.all([startUpstash("dash-data"), startRedisTcp("dash-data")]);
});

afterAll(async () => {
  await up?.close();
  await tcp?.close();
});

const meta = (id: string, status = "SUCCESS"): ResultWrite => ({
  meta: { status, result: id, traceback: null, children: [], date_done: null, task_id: id }, ttlMs: 60_000,
});

type Pair = { broker: PullBroker; backend: ResultBackend; raw: IORedis; prefix: string };
const pairs: Record<string, () => Pair> = {
  "upstash-redis": () => {
    const prefix = up.prefix("d");
    return { ...upstashRedis({ redis: up.client(), prefix }), raw: tcp.client, prefix };
  },
  redis: () => {
    const prefix = tcp.prefix("d");
    const broker = redisBroker(tcp.client, { prefix });
    tcp.brokers.push(broker);
    return { broker, backend: redisBackend(tcp.client, { prefix }), raw: tcp.client, prefix };
  },
};

describe.each(Object.keys(pairs))("%s: the dashboard's reads", (name) => {
  it("stats: waiting per queue over every priority step, delayed, unacked, dead", async () => {
    const { broker, backend } = pairs[name]!();
    const app = new Celeriac("d", { broker, backend });
    for (const priority of [0, 4, 9]) await app.sendTask("t.x", [], { queue: "a", priority });
    await app.sendTask("t.x", [], { queue: "b" });
    await app.sendTask("t.x", [], { queue: "b", countdown: 3600 });
    const [claimed] = await broker.claim(["b"], { max: 1, visibilityMs: 60_000 });
    await app.sendTask("t.x", [], { queue: "b" });
    const [doomed] = await broker.claim(["b"], { max: 1, visibilityMs: 60_000 });
    await broker.deadLetter(doomed!, "test");
    expect(claimed).toBeDefined();
    expect(await broker.stats!(["a", "b", "none"])).toEqual({ waiting: { a: 3, b: 0, none: 0 }, delayed: 1, unacked: 1, dead: 1 });
  });

  it("recent: records written by set and by ack-with-results, newest first; deleted ones left out", async () => {
    const { broker, backend } = pairs[name]!();
    const app = new Celeriac("d", { broker, backend });
    app.task("t.add", (a: number, b: number) => a + b);
    await backend.set([meta("one")]);
    await backend.set([meta("two"), meta("three")]);
    const r = await app.sendTask("t.add", [1, 2]);
    await app.worker().drain();
    expect(broker.storesResultsFor?.(backend)).toBe(true); // the worker's result went with the ack
    const ids = (await backend.recent!(10)).map((m) => m.task_id);
    expect(ids[0]).toBe(r.id);
    expect(new Set(ids.slice(1, 3))).toEqual(new Set(["two", "three"])); // one batch: same instant
    expect(ids[3]).toBe("one");
    await backend.delete(["two"]);
    expect((await backend.recent!(10)).map((m) => m.task_id)).not.toContain("two");
    expect((await backend.recent!(1)).map((m) => m.task_id)).toEqual([r.id]);
    expect((await backend.recent!(2)).length).toBeLessThanOrEqual(2); // at most: a deleted id still counts until trimmed
  });

  it(`recent: the index keeps the newest ${RECENT_MAX} ids`, async () => {
    const { backend, raw, prefix } = pairs[name]!();
    await backend.set(Array.from({ length: RECENT_MAX + 20 }, (_, i) => meta(`bulk-${i}`)));
    await backend.set([meta("last")]);
    expect(await raw.zcard(`${prefix}_celeriac.recent`)).toBe(RECENT_MAX);
    expect((await backend.recent!(1))[0]!.task_id).toBe("last");
  });
});

describe("upstash-redis: what the reads cost", () => {
  it("stats is one request; recent two; the index adds none to a drain", async () => {
    const prefix = up.prefix("cost");
    const { broker, backend } = upstashRedis({ redis: up.client(), prefix });
    const app = new Celeriac("d", { broker, backend });
    app.task("t.add", (a: number, b: number) => a + b);
    await Promise.all(Array.from({ length: 5 }, (_, i) => app.sendTask("t.add", [i, i])));
    await broker.stats(["celery"]); // the script's first use may cost a NOSCRIPT round trip
    await backend.set([meta("warm")]);
    const count = async (fn: () => Promise<unknown>): Promise<number> => {
      up.server.resetStats();
      await fn();
      return up.server.stats.requests;
    };
    expect(await count(() => broker.stats(["celery", "media", "other"]))).toBe(1);
    expect(await count(() => app.worker({ prefetch: 10 }).drain())).toBe(2); // one claim, one ack + results + index
    expect(await count(() => backend.recent(50))).toBe(2);
  });
});

describe("Python Celery 5.2.6 reads a result_extended record celeriac wrote", () => {
  it("AsyncResult.get(), name, args, kwargs, worker, retries, queue", async () => {
    const prefix = tcp.prefix("py");
    const broker = redisBroker(tcp.client, { prefix });
    tcp.brokers.push(broker);
    const app = new Celeriac("d", { broker, backend: redisBackend(tcp.client, { prefix }), conf: { resultExtended: true } });
    app.task("t.scale", (x: number, kw: { factor: number }) => x * kw.factor);
    const r = await app.sendTask("t.scale", [3], { kwargs: { factor: 2 }, queue: "celery" });
    await app.worker().drain();
    // Celery 5.2's Redis result backend has no key prefix: show it the very bytes under the plain key.
    const stored = await tcp.client.get(`${prefix}celery-task-meta-${r.id}`);
    expect(JSON.parse(stored!)).toMatchObject({ name: "t.scale", args: [3], kwargs: { factor: 2 }, retries: 0, queue: "celery" });
    await tcp.client.set(`celery-task-meta-${r.id}`, stored!, "PX", 60_000);
    try {
      const py = `import json,sys
from celery import Celery
app = Celery(backend=sys.argv[1])
r = app.AsyncResult(sys.argv[2])
print(json.dumps({"value": r.get(timeout=10), "state": r.state, "name": r.name, "args": r.args, "kwargs": r.kwargs,
  "worker": r.worker, "retries": r.retries, "queue": r.queue}))`;
      const { stdout } = await run("/usr/bin/python3", ["-c", py, tcp.url, r.id], { timeout: 60_000 });
      expect(JSON.parse(stdout)).toEqual({
        value: 6, state: "SUCCESS", name: "t.scale", args: [3], kwargs: { factor: 2 }, worker: "celeriac@d", retries: 0, queue: "celery",
      });
    } finally {
      await tcp.client.del(`celery-task-meta-${r.id}`);
    }
  });
});
