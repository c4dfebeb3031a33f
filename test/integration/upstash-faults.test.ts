import { spawn } from "node:child_process";
import { createServer } from "node:net";
import process from "node:process";
import { Redis as IORedis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Celeriac, encodeMessage, type Celeriac as App } from "../../mod.ts";
import { upstashRedis, upstashRedisBackend, upstashRedisBroker, type UpstashRedisPair } from "../../adapters/upstash-redis/mod.ts";
import { AdapterError } from "../../src/errors.ts";
import { startDevServer } from "../../workers/node/dev-server.ts";
import { manualClock, type ManualClock } from "../support/clock.ts";
import { startUpstash, type UpstashEnv } from "../support/upstash.ts";

let env: UpstashEnv;
let raw: IORedis;

beforeAll(async () => {
  env = await startUpstash("upstash-faults");
  raw = new IORedis(env.redisUrl);
});

afterAll(async () => {
  raw?.disconnect();
  await env?.close();
});

const retryable = (e: unknown): boolean => e instanceof AdapterError && e.adapter === "upstash-redis" && e.retryable;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function appOn(pair: UpstashRedisPair, clock?: ManualClock): App {
  return new Celeriac("faults", { broker: pair.broker, backend: pair.backend, clock });
}

/** Broker and backend whose own clock is `clock` too (requeue delays, revokes). */
function pairOn(redis: UpstashRedisPair["broker"]["redis"], prefix: string, clock: ManualClock): UpstashRedisPair {
  return { broker: upstashRedisBroker({ redis, prefix, now: clock.now }), backend: upstashRedisBackend({ redis, prefix }) };
}

describe("upstash-redis faults", () => {
  it("upstash-redis: an endpoint that is down gives delay() and drain() a retryable AdapterError", async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const app = appOn(upstashRedis({ redis: env.client({ url, retry: { retries: 1, backoff: () => 10 } }) }));
    const t = app.task("tasks.noop", () => 1);
    await expect(t.delay()).rejects.toSatisfy(retryable);
    await expect(app.worker().drain()).rejects.toSatisfy(retryable);
  });

  it("upstash-redis: with the client's default retries a dead endpoint still fails in seconds, not hangs", async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const app = appOn(upstashRedis({ redis: env.client({ url }) }));
    const started = Date.now();
    await expect(app.task("tasks.noop", () => 1).delay()).rejects.toSatisfy(retryable);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("upstash-redis: Redis down behind the endpoint gives a retryable AdapterError", async () => {
    const server = await startDevServer({ port: 0, redisUrl: `redis://127.0.0.1:${await freePort()}` });
    try {
      const redis = env.client({ url: server.url, token: server.token });
      const app = appOn(upstashRedis({ redis }));
      await expect(app.task("tasks.noop", () => 1).delay()).rejects.toSatisfy(retryable);
      await expect(app.worker().drain()).rejects.toSatisfy(retryable);
    } finally {
      await server.close();
    }
  });

  it("upstash-redis: an ack that fails leaves the message claimed, and it is redelivered, not lost", async () => {
    const prefix = env.prefix("ackfail");
    const side = await startDevServer({ port: 0, redisUrl: env.redisUrl });
    const clock = manualClock(); // both apps claim at this time; it moves past the visibility timeout below
    const worker = appOn(upstashRedis({ redis: env.client({ url: side.url, token: side.token, retry: false }), prefix }), clock);
    const runs: boolean[] = [];
    worker.task("tasks.once", { bind: true }, async (self) => {
      runs.push(self.request.deliveryInfo.redelivered);
      await side.close(); // the endpoint dies while the task runs: the ack cannot be sent
    });
    const producer = appOn(upstashRedis({ redis: env.client(), prefix }), clock);
    await producer.sendTask("tasks.once");
    await expect(worker.worker({ visibilityTimeout: 1 }).drain()).rejects.toSatisfy(retryable);
    expect(await raw.hlen(`${prefix}unacked`)).toBe(1);
    clock.advance(1100);
    producer.task("tasks.once", { bind: true }, (self) => void runs.push(self.request.deliveryInfo.redelivered));
    expect((await producer.worker({ visibilityTimeout: 1 }).drain()).succeeded).toBe(1);
    expect(runs).toEqual([false, true]);
    expect(await raw.hlen(`${prefix}unacked`)).toBe(0);
  });

  it("upstash-redis: a worker process killed between claim and ack: the message comes back redelivered and runs once", async () => {
    const prefix = env.prefix("crash");
    // The child claims on its own (wall) clock; this app's clock is set to that claim's stamp.
    const clock = manualClock();
    const app = appOn(upstashRedis({ redis: env.client(), prefix }), clock);
    await app.sendTask("tasks.crashy");
    const child = spawn(process.execPath, ["--import", "tsx", "test/support/upstash-claim-and-hang.ts"], {
      env: { ...process.env, UPSTASH_REDIS_REST_URL: env.server.url, UPSTASH_REDIS_REST_TOKEN: env.server.token, CELERIAC_REDIS_PREFIX: prefix, VISIBILITY_S: "1" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = new Promise((r) => child.once("exit", r));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on("data", (b: Buffer) => b.toString().includes("claimed") && resolve());
        child.once("exit", (code) => reject(new Error(`worker exited early (${code})`)));
      });
      const [, stamp] = await raw.zrange(`${prefix}unacked_index`, 0, 0, "WITHSCORES");
      clock.advance(Number(stamp) * 1000 - clock.now()); // now: the instant of the child's claim
      expect(await app.worker({ visibilityTimeout: 1 }).drain()).toMatchObject({ processed: 0 });
    } finally {
      process.kill(child.pid!, "SIGKILL");
      await exited;
    }
    const runs: boolean[] = [];
    app.task("tasks.crashy", { bind: true }, (self) => void runs.push(self.request.deliveryInfo.redelivered));
    clock.advance(1100);
    expect((await app.worker({ visibilityTimeout: 1 }).drain()).succeeded).toBe(1);
    clock.advance(1100);
    expect((await app.worker({ visibilityTimeout: 1 }).drain()).processed).toBe(0);
    expect(runs).toEqual([true]);
  }, 30_000);

  describe.each([
    { how: "a countdown (delayed set)", send: (app: App) => app.sendTask("tasks.once", [], { countdown: 1.5 }).then(() => {}) },
    {
      how: "an eta message pushed straight onto the list, as Python producers do",
      send: (app: App, prefix: string) => raw.lpush(`${prefix}celery`, encodeMessage(app.buildMessage("tasks.once", [], { countdown: 1.5 }))).then(() => {}),
    },
  ])("visibility timeout shorter than the ETA, $how", ({ send }) => {
    it("upstash-redis: two workers polling run the task exactly once", async () => {
      const prefix = env.prefix("eta");
      // Apps and brokers on one manual clock: both workers claim every 50 ms of it for 3 s, ten
      // visibility timeouts past the ETA, whatever the machine's speed.
      const clock = manualClock();
      let runs = 0;
      const workers = [0, 1].map(() => {
        const app = appOn(pairOn(env.client(), prefix, clock), clock);
        app.task("tasks.once", () => void runs++);
        return app.worker({ visibilityTimeout: 0.3 });
      });
      await send(appOn(pairOn(env.client(), prefix, clock), clock), prefix);
      for (let t = 0; t < 3000; t += 50) {
        await Promise.all(workers.map((w) => w.drain()));
        clock.advance(50);
      }
      expect(runs).toBe(1);
    });
  });
});
