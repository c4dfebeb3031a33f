import { Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Celeriac, GroupResult } from "../../mod.ts";
import { fromEnv, upstashRedis } from "../../adapters/upstash-redis/mod.ts";
import { AdapterError, ResultTimeoutError } from "../../src/errors.ts";
import { startDevServer } from "../../workers/node/dev-server.ts";
import { startBlackHole, type BlackHole } from "../support/black-hole.ts";
import { startUpstash, type UpstashEnv } from "../support/upstash.ts";

// Every call against an endpoint that accepts TCP and never answers must end, typed.
let hole: BlackHole;
let env: UpstashEnv;

beforeAll(async () => {
  hole = await startBlackHole();
  env = await startUpstash("upstash-deadlines");
});

afterAll(async () => {
  await hole?.close();
  await env?.close();
});

const timedOut = (e: unknown): boolean =>
  e instanceof AdapterError && e.adapter === "upstash-redis" && e.retryable && /timed out after \d+ ms \(http:\/\/127\.0\.0\.1:\d+\)$/.test(e.message);
const silentClient = (): Redis => new Redis({ url: hole.url, token: "t0ken", enableTelemetry: false });

describe("upstash-redis deadlines against a black-hole endpoint", () => {
  it("upstash-redis: delay() and drain() fail with a retryable AdapterError (client without a signal: raced)", async () => {
    const app = new Celeriac("bh", upstashRedis({ redis: silentClient(), timeoutMs: 300 }));
    const t = app.task("tasks.noop", () => 1);
    await expect(t.delay()).rejects.toSatisfy(timedOut);
    await expect(app.worker().drain()).rejects.toSatisfy(timedOut);
  });

  it("upstash-redis: fromEnv aborts the client's own request at the deadline (the socket is closed)", async () => {
    const pair = fromEnv({ UPSTASH_REDIS_REST_URL: hole.url, UPSTASH_REDIS_REST_TOKEN: "t0ken" }, { timeoutMs: 300 });
    const closedBefore = hole.closed;
    const err = await pair.broker.size("celery").catch((e: unknown) => e);
    expect(err).toSatisfy(timedOut);
    expect((err as Error).message).not.toContain("t0ken");
    await expect.poll(() => hole.closed, { timeout: 10_000 }).toBeGreaterThan(closedBefore);
  });

  it("upstash-redis: AsyncResult.get({ timeout }) throws ResultTimeoutError while the backend read still hangs", async () => {
    const app = new Celeriac("bh", upstashRedis({ redis: silentClient(), timeoutMs: 600_000 }));
    await expect(app.AsyncResult("some-id").get({ timeout: 200 })).rejects.toBeInstanceOf(ResultTimeoutError);
    const ac = new AbortController();
    const pending = app.AsyncResult("some-id").get({ signal: ac.signal });
    ac.abort(new Error("stop waiting"));
    await expect(pending).rejects.toThrow("stop waiting");
  });

  it("upstash-redis: GroupResult.get({ timeout }) throws ResultTimeoutError while the backend read still hangs", async () => {
    const app = new Celeriac("bh", upstashRedis({ redis: silentClient(), timeoutMs: 600_000 }));
    const res = new GroupResult("g", [app.AsyncResult("a"), app.AsyncResult("b")], app);
    await expect(res.get({ timeout: 200 })).rejects.toBeInstanceOf(ResultTimeoutError);
  });

  it("upstash-redis: worker.run() stops at once while its claim hangs (no deadline reached)", async () => {
    const app = new Celeriac("bh", upstashRedis({ redis: silentClient(), timeoutMs: 600_000 }));
    app.task("tasks.noop", () => 1);
    const seen = hole.accepted;
    const ac = new AbortController();
    const errors: unknown[] = [];
    const loop = app.worker({ onError: (e) => errors.push(e) }).run({ signal: ac.signal });
    await expect.poll(() => hole.accepted, { timeout: 10_000 }).toBeGreaterThan(seen);
    ac.abort();
    await loop;
    expect(errors).toEqual([]);
  });
});

describe("upstash-redis error messages", () => {
  it("upstash-redis: a failed delay() with a 100 KB argument gives a short message naming op and endpoint; the cause keeps the rest", async () => {
    const down = await startDevServer({ port: 0, redisUrl: "redis://127.0.0.1:1" });
    try {
      const redis = new Redis({ url: down.url, token: down.token, enableTelemetry: false, retry: false });
      const app = new Celeriac("big", upstashRedis({ redis }));
      const err = await app.task("tasks.big", (s: string) => s.length).delay("x".repeat(100_000)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AdapterError);
      const e = err as AdapterError;
      expect(e.message.length).toBeLessThanOrEqual(300);
      expect(e.message).toContain("publish");
      expect(e.message).toContain(down.url);
      expect(e.message).not.toContain(down.token);
      expect(e.retryable).toBe(true);
      expect(String((e.cause as Error).message).length).toBeGreaterThan(100_000);
    } finally {
      await down.close();
    }
  });

  it("upstash-redis: an auth failure (401) is not retryable and never shows the token", async () => {
    const token = "wrong-token-123";
    const redis = new Redis({ url: env.server.url, token, enableTelemetry: false, retry: false });
    const { broker, backend } = upstashRedis({ redis });
    for (const call of [() => broker.size("celery"), () => backend.get("x"), () => broker.claim(["celery"], { max: 1, visibilityMs: 1000 })]) {
      const err = await call().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AdapterError);
      expect((err as AdapterError).retryable).toBe(false);
      expect((err as Error).message).not.toContain(token);
    }
  });
});
