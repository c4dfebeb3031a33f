import { Redis } from "@upstash/redis";
import { Celeriac } from "../mod.ts";
import { fromEnv, upstashRedis } from "../adapters/upstash-redis/mod.ts";
import { startBlackHole } from "../test/support/black-hole.ts";
import { startDevServer } from "../workers/node/dev-server.ts";
const hole = await startBlackHole();
const time = async (label: string, f: () => Promise<unknown>) => {
  const t0 = performance.now();
  try { await f(); console.log(label, "resolved?!"); } catch (e) { console.log(label, ((performance.now() - t0) / 1000).toFixed(2) + " s", (e as Error).name, (e as any).retryable, (e as Error).message); }
};
const app = new Celeriac("bh", upstashRedis({ redis: new Redis({ url: hole.url, token: "t", enableTelemetry: false }) }));
const t = app.task("tasks.noop", () => 1);
await time("delay() default", () => t.delay());
await time("drain() default", () => app.worker().drain());
await time("get({timeout:2000})", () => app.AsyncResult("x").get({ timeout: 2000 }));
const app2 = new Celeriac("bh", fromEnv({ UPSTASH_REDIS_REST_URL: hole.url, UPSTASH_REDIS_REST_TOKEN: "t" }));
await time("fromEnv delay() default", () => app2.task("tasks.noop", () => 1).delay());
const ac = new AbortController();
const loop = app.worker({ onError: () => {} }).run({ signal: ac.signal });
await hole.requests(hole.accepted + 1).catch(() => {});
await new Promise((r) => setTimeout(r, 500));
const t0 = performance.now(); ac.abort(); await loop; console.log("run() stop with claim in flight", ((performance.now() - t0)).toFixed(1), "ms");
const down = await startDevServer({ port: 0, redisUrl: "redis://127.0.0.1:1" });
const app3 = new Celeriac("big", upstashRedis({ redis: new Redis({ url: down.url, token: down.token, enableTelemetry: false, retry: false }) }));
try { await app3.task("tasks.big", (s: string) => s).delay("x".repeat(100_000)); } catch (e) { console.log("100KB delay error message length", (e as Error).message.length, "cause length", ((e as any).cause as Error).message.length); console.log((e as Error).message); }
await down.close();
await hole.close();
process.exit(0);
