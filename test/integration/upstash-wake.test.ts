import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Buffer } from "node:buffer";
import { Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Celeriac, group } from "../../mod.ts";
import { upstashRedis, upstashSse, type UpstashIdleOptions, type UpstashRedisBroker } from "../../adapters/upstash-redis/mod.ts";
import { redisBroker } from "../../adapters/redis/mod.ts";
import { startDevServer, type DevServer } from "../../workers/node/dev-server.ts";
import { startUpstash, type UpstashEnv } from "../support/upstash.ts";

// Idle workers and get() over Upstash's SSE pub/sub, counted as HTTP requests at the endpoint.
let env: UpstashEnv;
const servers: DevServer[] = [];
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  env = await startUpstash("upstash-wake");
});

afterAll(async () => {
  for (const c of closers) await c();
  for (const s of servers) await s.close();
  await env?.close();
});

/** Another endpoint on the same Redis, so a worker's requests are not counted with the getter's. */
async function endpoint(opts: { pubsub?: boolean } = {}): Promise<Redis> {
  const s = await startDevServer({ port: 0, redisUrl: env.redisUrl, ...opts });
  servers.push(s);
  return new Redis({ url: s.url, token: s.token, enableTelemetry: false });
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; !cond(); i++) {
    if (i > 1000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A broker whose claims are counted, with a promise for "the n-th claim answered". */
function counted(broker: UpstashRedisBroker): { broker: UpstashRedisBroker; claims: () => number; waits: () => number; claimNo(n: number): Promise<void> } {
  let claims = 0;
  let waits = 0;
  const waiters: { n: number; resolve: () => void }[] = [];
  const wrapped = Object.create(broker) as UpstashRedisBroker;
  wrapped.claim = async (...a) => {
    const out = await broker.claim(...a);
    claims++;
    for (const w of waiters.filter((w) => w.n <= claims)) w.resolve();
    return out;
  };
  wrapped.waitForWork = (...a) => (waits++, broker.waitForWork(...a));
  return {
    broker: wrapped,
    claims: () => claims,
    waits: () => waits,
    claimNo: (n) => (n <= claims ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve }))),
  };
}

function workerApp(redis: Redis, prefix: string, idle: UpstashIdleOptions) {
  const pair = upstashRedis({ sse: upstashSse, redis, prefix, idle });
  const c = counted(pair.broker);
  const app = new Celeriac("wake", { broker: c.broker, backend: pair.backend });
  const seen: [string, number, number][] = [];
  app.task("tasks.echo", (x: string) => {
    seen.push([x, c.claims(), c.waits()]);
    return x;
  });
  const stop = new AbortController();
  const running = app.worker().run({ signal: stop.signal });
  return { app, c, seen, raw: pair.broker, stop: async () => (stop.abort(), await running) };
}

describe("upstash-redis: idle workers wait on the wake channel", () => {
  it("idle, a worker makes exactly one request (a claim) per idle cap besides its one open subscription", async () => {
    const w = workerApp(env.client(), env.prefix("idle"), { maxIdleMs: 100 });
    // Start: a claim, the subscription, a claim again (nothing published meanwhile is missed).
    await w.c.claimNo(2);
    expect(w.raw.listening).toBe(true);
    await w.c.claimNo(3);
    env.server.resetStats();
    await w.c.claimNo(8);
    // Five idle caps: five claims, nothing else (with the default cap of 60 s: one request a minute).
    expect(env.server.stats).toEqual({ requests: 5, commands: 5 });
    expect(env.server.subscriptions()).toBe(1);
    await w.stop();
    await until(() => env.server.subscriptions() === 0, "the subscription to close when the worker stops");
  });

  it("a delay() while idle wakes it at once; a countdown sets its timer and costs no claim before it is due", async () => {
    const prefix = env.prefix("wake");
    const w = workerApp(await endpoint(), prefix, { maxIdleMs: 600_000 });
    await w.c.claimNo(2); // listening, and waiting with a 10-minute cap: only a wake-up ends the wait
    const producer = new Celeriac("wake", upstashRedis({ sse: upstashSse, redis: env.client(), prefix }));
    const now = await producer.sendTask("tasks.echo", ["now"]);
    expect(await now.get({ timeout: 10_000 })).toBe("now");
    await until(() => w.c.waits() > w.seen[0][2], "the worker to be idle again");
    const before = w.c.claims();
    const later = await producer.sendTask("tasks.echo", ["later"], { countdown: 0.3 });
    expect(await later.get({ timeout: 10_000 })).toBe("later");
    // The wake-up said "due in 300 ms": no claim until then, then the one that found it.
    expect(w.seen.at(-1)?.slice(0, 2)).toEqual(["later", before + 1]);
    await w.stop();
  });

  it("a TCP producer's publish wakes an HTTP worker too (one wake channel)", async () => {
    const prefix = env.prefix("tcp");
    const w = workerApp(await endpoint(), prefix, { maxIdleMs: 600_000 });
    await w.c.claimNo(2);
    const tcp = new Celeriac("wake", { broker: redisBroker(env.redisUrl, { prefix }), backend: upstashRedis({ sse: upstashSse, redis: env.client(), prefix }).backend });
    const r = await tcp.sendTask("tasks.echo", ["over tcp"]);
    expect(await r.get({ timeout: 10_000 })).toBe("over tcp");
    await tcp.broker.close?.();
    await w.stop();
  });

  it("where /subscribe is missing (404) it polls with back-off and still runs everything", async () => {
    const prefix = env.prefix("poll");
    const redis = await endpoint({ pubsub: false });
    const w = workerApp(redis, prefix, { pollMaxMs: 200 });
    const r = await w.app.sendTask("tasks.echo", ["polled"]);
    expect(await r.get({ timeout: 10_000 })).toBe("polled");
    expect(w.raw.listening).toBe(false);
    await w.stop();
  });
});

describe("upstash-redis: without `sse: upstashSse`, waits poll (edge bundles leave SSE out)", () => {
  it("an idle run() polls with back-off and opens no subscription; get() has no watch and polls", async () => {
    const prefix = env.prefix("nosse");
    const pair = upstashRedis({ redis: env.client(), prefix, idle: { pollMaxMs: 100 } });
    expect(pair.backend.watch).toBeUndefined();
    const c = counted(pair.broker);
    const app = new Celeriac("wake", { broker: c.broker, backend: pair.backend });
    app.task("tasks.echo", (x: string) => x);
    const stop = new AbortController();
    const running = app.worker().run({ signal: stop.signal });
    await c.claimNo(4); // claims between polls, no subscription in between
    expect(pair.broker.listening).toBe(false);
    expect(env.server.subscriptions()).toBe(0);
    const r = await app.sendTask("tasks.echo", ["polled"]);
    expect(await r.get({ timeout: 10_000 })).toBe("polled");
    expect(env.server.subscriptions()).toBe(0);
    stop.abort();
    await running;
  });

  it("useSse(upstashSse) (what the CLI does) gives an app's broker and backend their SSE waits", async () => {
    const prefix = env.prefix("usesse");
    const pair = upstashRedis({ redis: env.client(), prefix, idle: { maxIdleMs: 600_000 } });
    pair.broker.useSse(upstashSse);
    pair.backend.useSse(upstashSse);
    expect(typeof pair.backend.watch).toBe("function");
    const c = counted(pair.broker);
    const app = new Celeriac("wake", { broker: c.broker, backend: pair.backend });
    app.task("tasks.echo", (x: string) => x);
    const stop = new AbortController();
    const running = app.worker().run({ signal: stop.signal });
    await c.claimNo(2); // a claim, the subscription, a claim again
    expect(pair.broker.listening).toBe(true);
    // With a 10-minute idle cap only the wake-up of this publish can end the wait.
    const r = await app.sendTask("tasks.echo", ["woken"]);
    expect(await r.get({ timeout: 10_000 })).toBe("woken");
    stop.abort();
    await running;
    const off = upstashRedis({ redis: env.client(), prefix, watch: false });
    off.backend.useSse(upstashSse);
    expect(off.backend.watch).toBeUndefined(); // `watch: false` still polls
  });
});

describe("upstash-redis: a lost stream is opened again", () => {
  it("an endpoint restart ends the worker's and get()'s streams; both subscribe again and nothing is missed", async () => {
    const prefix = env.prefix("restart");
    const first = await startDevServer({ port: 0, redisUrl: env.redisUrl });
    const port = first.port;
    const redis = new Redis({ url: first.url, token: first.token, enableTelemetry: false });
    const w = workerApp(redis, prefix, { maxIdleMs: 600_000 });
    await w.c.claimNo(2);
    const producer = new Celeriac("wake", upstashRedis({ sse: upstashSse, redis: env.client(), prefix }));
    const r = await producer.sendTask("tasks.echo", ["before"]);
    expect(await r.get({ timeout: 10_000 })).toBe("before");
    // get() waits on a stream of the first endpoint (the worker sits idle, so nothing runs it yet).
    const waiting = w.app.AsyncResult(crypto.randomUUID());
    const pending = waiting.get({ timeout: 20_000 });
    await until(() => first.subscriptions() === 2, "the worker's and get()'s streams");
    await first.close();
    const second = await startDevServer({ port, redisUrl: env.redisUrl, token: first.token });
    servers.push(second);
    await until(() => second.subscriptions() === 2, "both streams to be opened again");
    // The worker (cap 10 minutes) still wakes on a publish; get() sees a record stored now.
    const after = await producer.sendTask("tasks.echo", ["after"]);
    expect(await after.get({ timeout: 10_000 })).toBe("after");
    await producer.backend.set([{ meta: { status: "SUCCESS", result: 7, traceback: null, children: [], date_done: null, task_id: waiting.id }, ttlMs: 60_000 }]);
    expect(await pending).toBe(7);
    await w.stop();
  });
});

/** An endpoint that confirms every subscription and closes it at once; the rest goes to `target`. */
async function flakyEndpoint(target: DevServer): Promise<{ redis: Redis; subscribes: () => number }> {
  let subscribes = 0;
  const proxy = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (req.url?.startsWith("/subscribe/")) {
      subscribes++;
      res.writeHead(200, { "content-type": "text/event-stream" });
      return void res.end(`data: subscribe,${decodeURIComponent(req.url.slice(11))},1\n\n`);
    }
    const answer = await fetch(target.url + req.url, { method: req.method, headers: { authorization: String(req.headers.authorization), "content-type": "application/json" }, body: Buffer.concat(chunks) });
    res.writeHead(answer.status, { "content-type": "application/json" });
    res.end(await answer.text());
  });
  await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
  closers.push(() => new Promise((r) => (proxy.closeAllConnections(), proxy.close(() => r()))));
  const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  return { redis: new Redis({ url, token: target.token, enableTelemetry: false }), subscribes: () => subscribes };
}

describe("upstash-redis: a server that drops every stream at once is not hammered", () => {
  it("the worker backs off its subscribes and polls meanwhile", async () => {
    const target = await startDevServer({ port: 0, redisUrl: env.redisUrl });
    servers.push(target);
    const flaky = await flakyEndpoint(target);
    const w = workerApp(flaky.redis, env.prefix("flaky"), { pollMaxMs: 50 });
    await w.c.claimNo(40);
    // Without the back-off every claim would come with a subscribe (about 20 here).
    expect(flaky.subscribes()).toBeLessThan(8);
    const r = await w.app.sendTask("tasks.echo", ["still runs"]);
    expect(await r.get({ timeout: 10_000 })).toBe("still runs");
    await w.stop();
  });
});

describe("upstash-redis: get() waits on the result channel", () => {
  it("AsyncResult.get costs 2 requests (one subscription, one read) however long the task runs, STARTED included", async () => {
    const prefix = env.prefix("get");
    const producer = new Celeriac("wake", upstashRedis({ sse: upstashSse, redis: env.client(), prefix }));
    const workerSide = new Celeriac("wake", upstashRedis({ sse: upstashSse, redis: await endpoint(), prefix }));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started = false;
    workerSide.task("tasks.slow", { trackStarted: true }, async (x: number) => {
      started = true;
      await gate;
      return x * 2;
    });
    const r = await producer.sendTask("tasks.slow", [21]);
    env.server.resetStats();
    const got = r.get({ timeout: 20_000 });
    await until(() => env.server.subscriptions() === 1 && env.server.stats.requests === 2, "the subscription and the read");
    const stop = new AbortController();
    const running = workerSide.worker().run({ signal: stop.signal });
    await until(() => started, "the task to start");
    release();
    expect(await got).toBe(42);
    expect(env.server.stats.requests).toBe(2);
    await until(() => env.server.subscriptions() === 0, "the subscription to close");
    stop.abort();
    await running;
  });

  it("GroupResult.get of 10 members costs 2 requests (one pattern subscription, one MGET)", async () => {
    const prefix = env.prefix("group");
    const producer = new Celeriac("wake", upstashRedis({ sse: upstashSse, redis: env.client(), prefix }));
    const workerSide = new Celeriac("wake", upstashRedis({ sse: upstashSse, redis: await endpoint(), prefix }));
    workerSide.task("tasks.double", (x: number) => x * 2);
    const g = await group(Array.from({ length: 10 }, (_, i) => producer.signature("tasks.double", [i]))).delay();
    env.server.resetStats();
    const got = g.get({ timeout: 20_000 });
    await until(() => env.server.subscriptions() === 1 && env.server.stats.requests === 2, "the subscription and the read");
    const stop = new AbortController();
    const running = workerSide.worker({ concurrency: 4 }).run({ signal: stop.signal });
    expect(await got).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
    expect(env.server.stats.requests).toBe(2);
    stop.abort();
    await running;
  });

  it("without /subscribe, get() falls back to polling and still answers", async () => {
    const prefix = env.prefix("getpoll");
    const redis = await endpoint({ pubsub: false });
    const app = new Celeriac("wake", upstashRedis({ sse: upstashSse, redis, prefix, idle: { pollMaxMs: 200 } }));
    app.task("tasks.echo", (x: string) => x);
    const r = await app.sendTask("tasks.echo", ["p"]);
    const stop = new AbortController();
    const running = app.worker().run({ signal: stop.signal });
    expect(await r.get({ timeout: 10_000 })).toBe("p");
    stop.abort();
    await running;
  });
});
