// The adapters' monitoring parts against a real Redis (DB 11): Upstash's event PUBLISH rides in
// the ack's request, presence records on both adapters, purge, and the TCP event subscription.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Redis as UpstashClient } from "@upstash/redis";
import { Redis as IORedis } from "ioredis";
import { Celeriac, decodeEvents, type WorkerInfo, monitoring } from "../../mod.ts";
import { upstashRedis } from "../../adapters/upstash-redis/mod.ts";
import { redis as redisPair } from "../../adapters/redis/mod.ts";
import { startDevServer, type DevServer } from "../../workers/node/dev-server.ts";
import { deleteByPrefix, ensureRedis, uniquePrefix, type TestRedis } from "../support/redis.ts";

let redis: TestRedis;
let url: string;
let server: DevServer;
const prefixes: string[] = [];
const fresh = (name: string): string => (prefixes.push(uniquePrefix(name)), prefixes.at(-1)!);

beforeAll(async () => {
  redis = await ensureRedis();
  url = `${redis.url.replace(/\/\d*$/, "")}/11`;
  server = await startDevServer({ port: 0, redisUrl: url });
});

afterAll(async () => {
  for (const p of prefixes) await deleteByPrefix(url, p);
  await server?.close();
  await redis?.stop();
});

const info = (hostname: string): WorkerInfo => ({
  hostname, timestamp: Date.now() / 1000, freq: 2, active: 0, processed: 3, sw_ident: "celeriac", sw_ver: "0", sw_sys: "t", queues: ["celery"], mode: "loop",
});

function upstashApp(prefix: string): Celeriac {
  const client = new UpstashClient({ url: server.url, token: server.token, enableTelemetry: false });
  const app = new Celeriac("mon", upstashRedis({ redis: client, prefix, db: 11 }));
  app.task("mon.add", (a: number, b: number) => a + b);
  return app;
}

describe("upstash-redis", () => {
  it("events add PUBLISHes, not requests: a drain with events costs one request more in total, and they arrive on /11.celeryev/task.multi", async () => {
    const counts: { requests: number; commands: number }[] = [];
    const sub = new IORedis(url);
    const prefix = fresh("mon-up");
    const got: string[] = [];
    sub.on("pmessage", (_p: string, ch: string, msg: string) => ch === `${prefix}/11.celeryev/task.multi` && got.push(msg));
    await sub.psubscribe(`${prefix}/11.celeryev/*`);
    try {
      for (const events of [false, true]) {
        const app = upstashApp(events ? prefix : fresh("mon-up-off"));
        for (let i = 0; i < 30; i++) await app.sendTask("mon.add", [i, 1]);
        const before = { ...server.stats };
        expect((await app.worker({ events, monitoring, prefetch: 10 }).drain()).succeeded).toBe(30);
        counts.push({ requests: server.stats.requests - before.requests, commands: server.stats.commands - before.commands });
      }
      expect(counts[1].requests).toBe(counts[0].requests + 1);
      // one task.multi per batch of 10, one heartbeat, three presence commands
      expect(counts[1].commands).toBe(counts[0].commands + 3 + 1 + 3);
      await new Promise<void>((resolve) => {
        const check = (): void => void (got.length === 3 ? resolve() : setTimeout(check, 10));
        check();
      });
      expect(got.flatMap(decodeEvents).filter((e) => e.type === "task-succeeded")).toHaveLength(30);
    } finally {
      sub.disconnect();
    }
  });

  it("presence records round-trip (the last one kept); purge deletes waiting messages of every priority", async () => {
    const app = upstashApp(fresh("mon-up-p"));
    await app.backend.recordWorker!(info("a@x"), 60_000);
    await app.backend.recordWorker!({ ...info("a@x"), processed: 4 }, 60_000);
    expect(await app.backend.workers!()).toMatchObject([{ hostname: "a@x", processed: 4 }]);
    await app.sendTask("mon.add", [1, 1]);
    await app.sendTask("mon.add", [1, 1], { priority: 9 });
    const broker = app.broker as import("../../src/ports.ts").PullBroker;
    expect(await broker.purge!("celery")).toBe(2);
    expect(await broker.size("celery")).toBe(0);
  });
});

describe("redis (TCP)", () => {
  it("presence, purge, and subscribeEvents sees what publishEvents sent", async () => {
    const prefix = fresh("mon-tcp");
    const pair = redisPair(url, { prefix });
    try {
      await pair.backend.recordWorker(info("t@x"), 60_000);
      expect(await pair.backend.workers()).toMatchObject([{ hostname: "t@x", processed: 3 }]);
      const app = new Celeriac("mon", { broker: pair.broker, backend: pair.backend });
      await app.sendTask("mon.add", [1, 1], { priority: 3 });
      expect(await pair.broker.purge("celery")).toBe(1);
      const seen: string[] = [];
      const stop = await pair.broker.events.subscribeEvents((m) => seen.push(m.routingKey));
      await pair.broker.events.publishEvents([{ routingKey: "worker.heartbeat", payload: "{}" }, { routingKey: "task.multi", payload: "[]" }]);
      await new Promise<void>((resolve) => {
        const check = (): void => void (seen.length === 2 ? resolve() : setTimeout(check, 10));
        check();
      });
      expect(seen).toEqual(["worker.heartbeat", "task.multi"]);
      await stop();
    } finally {
      await pair.close();
    }
  });
});
