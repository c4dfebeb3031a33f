import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Celeriac } from "../../mod.ts";
import { redis, redisBroker, type RedisPair } from "../../adapters/redis/mod.ts";
import { AdapterError } from "../../src/errors.ts";
import { spawnRedis, type TestRedis } from "../support/redis.ts";

// A private redis-server: the tests read INFO commandstats and kill client connections.
let server: TestRedis;
let admin: Redis;

beforeAll(async () => {
  server = await spawnRedis();
  admin = new Redis(server.url);
});

afterAll(async () => {
  admin?.disconnect();
  await server?.stop();
});

/** Calls per command since the last CONFIG RESETSTAT, the test's own INFO and CONFIG left out. */
async function commandStats(): Promise<Map<string, number>> {
  const info = await admin.info("commandstats");
  const out = new Map<string, number>();
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) if (!/^(info|config)/.test(m[1])) out.set(m[1], Number(m[2]));
  return out;
}
const total = (s: Map<string, number>): number => [...s.values()].reduce((a, b) => a + b, 0);

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function appOn(pair: RedisPair): Celeriac {
  const app = new Celeriac("tcp", { broker: pair.broker, backend: pair.backend });
  return app;
}

describe("redis over TCP", () => {
  it("an idle worker sends no command; a push of any producer, or a delayed publish, wakes it", async () => {
    const pair = redis(server.url, { prefix: "idle:" });
    const app = appOn(pair);
    const seen: string[] = [];
    const echo = app.task("tasks.echo", (x: string) => void seen.push(x));
    const stop = new AbortController();
    const running = app.worker({ concurrency: 4 }).run({ signal: stop.signal });
    await echo.delay("first");
    await until(() => seen.length === 1, "the first task");
    // Idle: every list watcher armed (4 priority steps of the default queue).
    await until(async () => String(await admin.client("LIST")).split("\n").filter((l: string) => / cmd=blmove/.test(l)).length === 4, "4 blocking watchers");
    await admin.config("RESETSTAT");
    await new Promise((r) => setTimeout(r, 2000));
    expect(total(await commandStats())).toBe(0);

    // A raw LPUSH (what a Python producer does) wakes it through the blocking watcher.
    const other = new Celeriac("tcp", { broker: redisBroker(server.url, { prefix: "idle:" }) });
    other.task("tasks.echo", () => {});
    await other.signature("tasks.echo", ["second"]).applyAsync([]);
    await until(() => seen.length === 2, "the pushed task");
    // A delayed publish wakes it through the wake channel, then the timer runs it when due.
    await other.signature("tasks.echo", ["third"]).applyAsync([], { countdown: 0.3 });
    await until(() => seen.length === 3, "the delayed task");
    expect(seen).toEqual(["first", "second", "third"]);
    stop.abort();
    await running;
    await other.broker.close?.();
    await pair.close();
  });

  it("AsyncResult.get waits on the result channel: one read before, one after the PUBLISH", async () => {
    const pair = redis(server.url, { prefix: "get:" });
    const app = appOn(pair);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = app.task("tasks.slow", { trackStarted: true }, async () => {
      await gate;
      return 42;
    });
    const stop = new AbortController();
    const running = app.worker().run({ signal: stop.signal });
    const r = await slow.delay();
    await until(async () => (await r.state) === "STARTED", "STARTED");
    await admin.config("RESETSTAT");
    const value = r.get({ timeout: 60_000 });
    await until(async () => (await commandStats()).get("subscribe") === 1, "the subscription");
    await new Promise((res) => setTimeout(res, 500));
    release();
    expect(await value).toBe(42);
    const stats = await commandStats();
    const gets = stats.get("get") ?? 0;
    // One read once subscribed and one after the SUCCESS message (STARTED was stored before),
    // plus the GET inside the settle script that guards a stored SUCCESS: no polling.
    expect(gets, JSON.stringify([...stats])).toBeLessThanOrEqual(3);
    stop.abort();
    await running;
    await pair.close();
  });

  it("a killed connection: the worker reconnects, the claimed message is not lost", async () => {
    const pair = redis(server.url, { prefix: "kill:" });
    const app = appOn(pair);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let runs = 0;
    const held = app.task("tasks.held", async () => {
      runs++;
      await gate;
      return "done";
    });
    const errors: unknown[] = [];
    const stop = new AbortController();
    const running = app.worker({ onError: (e) => errors.push(e), visibilityTimeout: 3600 }).run({ signal: stop.signal });
    const r = await held.delay();
    await until(() => runs === 1, "the task to start");
    await admin.client("KILL", "TYPE", "normal", "SKIPME", "yes");
    await admin.client("KILL", "TYPE", "pubsub");
    release();
    expect(await r.get({ timeout: 30_000 })).toBe("done");
    expect(runs).toBe(1);
    // Still consuming after the reconnect.
    const again = await held.delay();
    expect(await again.get({ timeout: 30_000 })).toBe("done");
    for (const e of errors) expect(e).toBeInstanceOf(AdapterError);
    stop.abort();
    await running;
    await pair.close();
  });

  it("a server that does not answer: a typed, retryable AdapterError within the deadline", async () => {
    const b = redisBroker("redis://127.0.0.1:1", { timeoutMs: 200 });
    const err = await b.publish([{ id: "x", queue: "q", priority: 0, payload: "x" }]).catch((e) => e);
    expect(err).toBeInstanceOf(AdapterError);
    expect((err as AdapterError).retryable).toBe(true);
    expect(String(err.message)).toMatch(/\[redis\] publish failed/);
    await b.close();
  });
});
