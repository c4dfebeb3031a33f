import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Redis as UpstashClient } from "@upstash/redis";
import { Celeriac, type TaskEvent, monitoring } from "../../mod.ts";
import { redis as redisPair, type RedisPair } from "../../adapters/redis/mod.ts";
import { upstashRedisBackend, upstashRedisBroker } from "../../adapters/upstash-redis/mod.ts";
import { startDevServer, type DevServer } from "../../workers/node/dev-server.ts";
import { deleteByPrefix, ensureRedis, uniquePrefix, type TestRedis } from "../support/redis.ts";
import { DB, pyEnv, requireCelery, startPython, type Running } from "./celery-cli.ts";

// The real `celery events --dump` and celery.events.state.State (Python Celery 5.2.6) see a
// celeriac worker's events on DB 11: a long-running TCP Redis worker (worker-online,
// heartbeats, task events, worker-offline) and a request-triggered drain through the Upstash
// adapter (its task events and heartbeat ride with the batch's ack).
let redis: TestRedis;
let url: string;
let prefix: string;
let dump: Running;
let pair: RedisPair;
let server: DevServer;

beforeAll(async () => {
  await requireCelery();
  redis = await ensureRedis();
  url = `${redis.url.replace(/\/\d*$/, "")}/${DB}`;
  prefix = uniquePrefix("interop-events");
  pair = redisPair(url, { prefix });
  server = await startDevServer({ port: 0, redisUrl: url });
  dump = startPython(pyEnv(url, prefix), ["-m", "celery", "-A", "pyapp", "events", "--dump"]);
});

afterAll(async () => {
  await dump?.stop();
  await pair?.close();
  await server?.close();
  if (prefix) await deleteByPrefix(url, prefix);
  await redis?.stop();
});

function loopApp(hostname: string): { app: Celeriac; events: TaskEvent[] } {
  const app = new Celeriac("ev", { broker: pair.broker, backend: pair.backend });
  app.task("ev.add", (a: number, b: number) => a + b);
  app.task("ev.boom", () => {
    throw new RangeError("kaput");
  });
  return { app, events: [] };
}

describe("celery events --dump", () => {
  it("prints a long-running celeriac worker: online, heartbeats, task events, offline", async () => {
    const hostname = `ev-loop-${prefix.slice(-9, -1)}@celeriac`;
    const { app } = loopApp(hostname);
    const stop = new AbortController();
    // A short freq so the dump (subscribed at some unknown moment) shows a heartbeat soon.
    const running = app.worker({ events: true, monitoring, hostname, heartbeatSeconds: 0.3 }).run({ signal: stop.signal, pollIntervalMs: 50 });
    await dump.until((o) => o.includes(`${hostname} [`) && /heartbeat|started/.test(o), "the worker's heartbeat");
    const ok = await app.sendTask("ev.add", [2, 3]);
    const bad = await app.sendTask("ev.boom", []);
    await dump.until((o) => o.includes(`task failed: ev.boom(${bad.id})`) && o.includes(`task succeeded: ev.add(${ok.id})`), "the task events");
    stop.abort();
    await running;
    const out = await dump.until((o) => new RegExp(`${hostname} \\[[^\\]]+\\] shutdown`).test(o), "worker-offline");
    const lines = out.split("\n").filter((l) => l.startsWith(`${hostname} [`));
    expect(lines.find((l) => l.includes("task received"))).toMatch(`task received: ev.add(${ok.id}) args=(2, 3) kwargs={}`);
    expect(lines.some((l) => l.includes(`task started: ev.add(${ok.id})`))).toBe(true);
    expect(lines.find((l) => l.includes(`task succeeded: ev.add(${ok.id})`))).toMatch(/result=5.*runtime=/);
    expect(lines.find((l) => l.includes(`task failed: ev.boom(${bad.id})`))).toContain("exception=RangeError('kaput')");
    expect(lines.find((l) => / heartbeat: /.test(l))).toMatch(/freq=0\.3.*sw_ident=celeriac/);
  });

  it("prints the task events of a request-triggered drain through the Upstash adapter", async () => {
    const hostname = `ev-drain-${prefix.slice(-9, -1)}@celeriac`;
    const client = new UpstashClient({ url: server.url, token: server.token, enableTelemetry: false });
    // The same key prefix as Python's global_keyprefix: it is in front of the event channels too.
    const up = prefix;
    const app = new Celeriac("ev", { broker: upstashRedisBroker({ redis: client, prefix: up, db: DB }), backend: upstashRedisBackend({ redis: client, prefix: up }) });
    app.task("ev.add", (a: number, b: number) => a + b);
    const r = await app.sendTask("ev.add", [20, 22]);
    expect((await app.worker({ events: true, monitoring, hostname }).drain()).succeeded).toBe(1);
    // The heartbeat may reach the dump after the task events: wait for both.
    const out = await dump.until((o) => o.includes(`task succeeded: ev.add(${r.id})`) && new RegExp(`${hostname} \\[[^\\]]+\\] heartbeat: .*freq=60`).test(o), "the drain's events and heartbeat");
    const lines = out.split("\n").filter((l) => l.startsWith(`${hostname} [`));
    expect(lines.some((l) => l.includes(`task received: ev.add(${r.id}) args=(20, 22)`))).toBe(true);
    expect(lines.some((l) => / heartbeat: .*freq=60/.test(l))).toBe(true);
  });
});

describe("celery.events.state.State", () => {
  it("shows the celeriac worker alive with its finished task", async () => {
    const hostname = `ev-state-${prefix.slice(-9, -1)}@celeriac`;
    const { app } = loopApp(hostname);
    const watcher = startPython(pyEnv(url, prefix), ["evstate.py", hostname]);
    const stop = new AbortController();
    const running = app.worker({ events: true, monitoring, hostname, heartbeatSeconds: 0.3 }).run({ signal: stop.signal, pollIntervalMs: 50 });
    try {
      await watcher.until((o) => o.includes("seen"), "the worker in State");
      const r = await app.sendTask("ev.add", [4, 5]);
      const out = await watcher.until((o) => /^\{.*\}$/m.test(o), "the State report");
      const report = JSON.parse(out.split("\n").find((l) => l.startsWith("{"))!);
      expect(report).toMatchObject({ hostname, alive: true, sw_ident: "celeriac", freq: 0.3 });
      expect(report.tasks).toEqual([{ uuid: r.id, name: "ev.add", state: "SUCCESS", result: "9", args: "(4, 5)" }]);
    } finally {
      stop.abort();
      await running;
      await watcher.stop();
    }
  });
});
