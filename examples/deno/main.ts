// Deno: the Hono API, the worker loop and beat (on Deno.cron with --unstable-cron) in one
// process (see README.md beside this file). Outside this repo:
//   import { Celeriac, every } from "jsr:@celeriac/celeriac";
//   import { serve } from "jsr:@celeriac/celeriac/workers/deno";   (and .../adapters/hono, .../adapters/upstash-redis)
import { Hono } from "hono";
import { bearer, celeriac } from "../../adapters/hono/mod.ts";
import { fromEnv, upstashSse } from "../../adapters/upstash-redis/mod.ts";
import { Celeriac, every } from "../../mod.ts";
import { serve } from "../../workers/deno/mod.ts";

declare const Deno: { env: { toObject(): Record<string, string>; get(k: string): string | undefined } };

const app = new Celeriac("example", fromEnv(Deno.env.toObject(), { sse: upstashSse }));
const add = app.task("tasks.add", (a: number, b: number) => a + b);
app.task("tasks.heartbeat", () => "alive");
app.conf.beatSchedule = { heartbeat: { task: "tasks.heartbeat", schedule: every("1m") } };

const api = new Hono().route("/tasks", celeriac(app, { expose: [add], auth: bearer(Deno.env.get("API_TOKEN")) }));
const server = await serve(app, { hono: api, port: Number(Deno.env.get("PORT") ?? 8000), hostname: "127.0.0.1" });
console.log(`listening on ${server.url}`);
