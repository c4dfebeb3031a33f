import { Celeriac } from "../mod.ts";
import { upstashRedis } from "../adapters/upstash-redis/mod.ts";
import { startUpstash } from "../test/support/upstash.ts";
const env = await startUpstash("dbg");
const pair = upstashRedis({ redis: env.client(), prefix: env.prefix("idle"), idle: { maxIdleMs: 100 } });
const app = new Celeriac("wake", pair);
const stop = new AbortController();
const running = app.worker().run({ signal: stop.signal });
for (let i = 0; i < 5; i++) { await new Promise((r) => setTimeout(r, 100)); console.log(env.server.stats, env.server.subscriptions(), pair.broker.listening); }
stop.abort(); await running;
console.log("stopped", pair.broker.listening);
for (let i = 0; i < 5; i++) { await new Promise((r) => setTimeout(r, 200)); console.log("after", env.server.subscriptions()); }
await env.close();
