import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { createHash, randomUUID } from "node:crypto";
import { Redis } from "@upstash/redis";
import { startDevServer, type DevServer } from "../../workers/node/dev-server.ts";
import { deleteByPrefix, ensureRedis, uniquePrefix, type TestRedis } from "../support/redis.ts";

// The official, unmodified SDK against the dev server, with a real Redis behind it.
let backend: TestRedis;
let server: DevServer;
const prefixes: string[] = [];

function prefix(name: string): string {
  const p = uniquePrefix(`dev-server:${name}`);
  prefixes.push(p);
  return p;
}

function client(opts: { responseEncoding?: false; enableAutoPipelining?: boolean } = {}): Redis {
  return new Redis({ url: server.url, token: server.token, enableTelemetry: false, ...opts });
}

function post(path: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(server.url + path, { method: "POST", headers: { authorization: `Bearer ${server.token}`, ...headers }, body });
}

beforeAll(async () => {
  backend = await ensureRedis();
  server = await startDevServer({ port: 0, redisUrl: backend.url });
});

afterAll(async () => {
  for (const p of prefixes) await deleteByPrefix(backend.url, p);
  await server?.close();
  await backend?.stop();
});

describe.each([
  { encoding: "base64 (SDK default)", opts: {} },
  { encoding: "plain UTF-8", opts: { responseEncoding: false as const } },
])("data round trips, $encoding", ({ opts }) => {
  it("set/get keeps strings, numbers and JSON values", async () => {
    const redis = client(opts);
    const k = prefix("set-get");
    await redis.set(`${k}str`, "hello");
    await redis.set(`${k}num`, 42);
    await redis.set(`${k}json`, { a: 1, list: [true, null, "x"] }, { ex: 60 });
    expect(await redis.get(`${k}str`)).toBe("hello");
    expect(await redis.get(`${k}num`)).toBe(42);
    expect(await redis.get(`${k}json`)).toEqual({ a: 1, list: [true, null, "x"] });
    expect(await redis.ttl(`${k}json`)).toBeGreaterThan(0);
    expect(await redis.get(`${k}missing`)).toBeNull();
  });

  it("unicode and binary-ish strings survive", async () => {
    const redis = client(opts);
    const k = prefix("unicode");
    const values = ["héllo wörld ✓ 日本語 🥕", "OK", "PONG", "T0s=", "line1\nline2\t\u0001\u007f", " "];
    for (const [i, v] of values.entries()) await redis.set(`${k}${i}`, v);
    const got = await redis.mget<string[]>(...values.map((_, i) => `${k}${i}`));
    expect(got).toEqual(values);
  });

  it("hset/hgetall, zadd/zrange with scores, lpush/rpop, mget with missing keys", async () => {
    const redis = client(opts);
    const k = prefix("types");
    expect(await redis.hset(`${k}h`, { name: "celeriac", n: 3, tags: ["a", "b"] })).toBe(3);
    expect(await redis.hgetall(`${k}h`)).toEqual({ name: "celeriac", n: 3, tags: ["a", "b"] });
    expect(await redis.hgetall(`${k}nohash`)).toBeNull();

    await redis.zadd(`${k}z`, { score: 2.5, member: "b" }, { score: 1, member: "a" }, { score: 10, member: "c" });
    expect(await redis.zrange(`${k}z`, 0, -1, { withScores: true })).toEqual(["a", 1, "b", 2.5, "c", 10]);
    expect(await redis.zscore(`${k}z`, "b")).toBe(2.5);

    expect(await redis.lpush(`${k}l`, "first", "second")).toBe(2);
    expect(await redis.rpop(`${k}l`)).toBe("first");

    await redis.set(`${k}a`, "x");
    expect(await redis.mget(`${k}a`, `${k}nope`, `${k}h`)).toEqual(["x", null, null]);
  });
});

describe("pipelines and transactions", () => {
  it("auto-pipelines calls made in one tick into a single /pipeline request", async () => {
    const redis = client();
    const k = prefix("auto");
    server.resetStats();
    // Writes only: the SDK batches reads and writes into separate pipelines.
    const results = await Promise.all([redis.set(`${k}a`, 1), redis.incr(`${k}b`), redis.rpush(`${k}c`, "x", "y")]);
    expect(results).toEqual(["OK", 1, 2]);
    expect(server.stats).toEqual({ requests: 1, commands: 3 });
  });

  it("runs an explicit pipeline in order, and a per-command error only fails that command", async () => {
    const redis = client();
    const k = prefix("pipeline");
    const results = await redis
      .pipeline()
      .set(`${k}s`, "not a number")
      .incr(`${k}s`)
      .get(`${k}s`)
      .incr(`${k}n`)
      .exec({ keepErrors: true });
    expect(results.map((r) => r.result)).toEqual(["OK", undefined, "not a number", 1]);
    expect(results[1]?.error).toMatch(/not an integer/);

    // Auto-pipelined: the failing call rejects, its neighbours in the same batch still resolve.
    const [ok, bad] = await Promise.allSettled([redis.set(`${k}t`, "x"), redis.incr(`${k}t`)]);
    expect(ok).toEqual({ status: "fulfilled", value: "OK" });
    expect(bad.status === "rejected" && String(bad.reason)).toMatch(/not an integer/);
  });

  it("runs multi() atomically through /multi-exec", async () => {
    const redis = client();
    const k = prefix("multi");
    server.resetStats();
    const results = await redis.multi().set(`${k}a`, 1).incr(`${k}a`).hset(`${k}h`, { f: "v" }).hgetall(`${k}h`).exec();
    expect(results).toEqual(["OK", 2, 1, { f: "v" }]);
    expect(server.stats).toEqual({ requests: 1, commands: 4 });

    // A runtime error inside EXEC fails only its element...
    const kept = await redis.multi().set(`${k}b`, "x").incr(`${k}b`).get(`${k}b`).exec({ keepErrors: true });
    expect(kept.map((r) => r.result)).toEqual(["OK", undefined, "x"]);
    expect(kept[1]?.error).toMatch(/not an integer/);

    // ...while a queue-time error discards the whole transaction.
    const res = await post("/multi-exec", JSON.stringify([["SET", `${k}c`, "1"], ["GET"]]));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/^EXECABORT/);
    expect(await redis.exists(`${k}c`)).toBe(0);
  });
});

describe("scripts", () => {
  it("createScript falls back from EVALSHA to EVAL once, then uses EVALSHA only", async () => {
    const redis = client();
    const k = prefix("script");
    // A fresh nonce gives a SHA that no one has loaded, without flushing the shared script cache.
    const script = redis.createScript<[number, string]>(
      `-- nonce ${randomUUID()}\nreturn {redis.call("INCRBY", KEYS[1], ARGV[1]), ARGV[2]}`,
    );
    server.resetStats();
    expect(await script.exec([`${k}n`], ["5", "héllo"])).toEqual([5, "héllo"]);
    expect(server.stats).toEqual({ requests: 2, commands: 2 });

    server.resetStats();
    expect(await script.exec([`${k}n`], ["1", "again"])).toEqual([6, "again"]);
    expect(server.stats).toEqual({ requests: 1, commands: 1 });
    const sha = createHash("sha1").update(script.script).digest("hex");
    expect(await redis.scriptExists(sha)).toEqual([1]);
  });
});

describe("errors and auth", () => {
  it("rejects a wrong token with 401 and the client throws", async () => {
    const redis = new Redis({ url: server.url, token: "wrong-token", enableTelemetry: false, retry: false });
    await expect(redis.get("celeriac-test:anything")).rejects.toThrow(/WRONGPASS/);
  });

  it("answers 401 without a token, 400 for non-array bodies, 404/405 for other routes", async () => {
    const noToken = await fetch(server.url, { method: "POST", body: '["PING"]' });
    expect(noToken.status).toBe(401);
    expect(await noToken.json()).toEqual({ error: "WRONGPASS invalid or missing auth token" });

    expect((await fetch(`${server.url}/?_token=${server.token}`, { method: "POST", body: '["PING"]' })).status).toBe(200);
    for (const body of ['{"cmd":"PING"}', '"PING"', "[]", "not json", '["GET",null]']) {
      const res = await post("/", body);
      expect(res.status, body).toBe(400);
      expect(typeof ((await res.json()) as { error: unknown }).error).toBe("string");
    }
    expect((await post("/pipeline", '["PING"]')).status).toBe(400);
    expect((await post("/nope", '["PING"]')).status).toBe(404);
    expect((await fetch(`${server.url}/pipeline`, { method: "PUT", body: "[]" })).status).toBe(405);
    expect((await fetch(server.url)).status).toBe(200);
  });

  it("refuses blocking and connection-state commands", async () => {
    const k = prefix("blocking");
    for (const cmd of [["BLPOP", `${k}q`, "0"], ["SELECT", "1"], ["MULTI"], ["XREAD", "BLOCK", "0", "STREAMS", `${k}s`, "$"]]) {
      const res = await post("/", JSON.stringify(cmd));
      expect(res.status, cmd[0]).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(/not available/);
    }
  });

  it("fails fast with HTTP 500 when Redis is unreachable", async () => {
    const down = await startDevServer({ port: 0, redisUrl: "redis://127.0.0.1:1" });
    try {
      const redis = new Redis({ url: down.url, token: down.token, enableTelemetry: false, retry: false });
      const started = Date.now();
      await expect(redis.get("celeriac-test:anything")).rejects.toThrow(/Unable to connect to Redis/);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await down.close();
    }
  });
});
