// Bun: the Hono API, the worker loop and beat in one process (see README.md beside this file).
// In an app outside this repo the imports are "celeriac", "celeriac/adapters/..." and "celeriac/workers/bun".
import process from "node:process";
import { Hono } from "hono";
import { bearer, celeriac } from "../../adapters/hono/mod.ts";
import { fromEnv, upstashSse } from "../../adapters/upstash-redis/mod.ts";
import { Celeriac, every } from "../../mod.ts";
import { serve } from "../../workers/bun/mod.ts";

const app = new Celeriac("example", fromEnv(process.env, { sse: upstashSse }));
const add = app.task("tasks.add", (a: number, b: number) => a + b);
app.task("tasks.heartbeat", () => "alive");
app.conf.beatSchedule = { heartbeat: { task: "tasks.heartbeat", schedule: every("1m") } };

const api = new Hono().route("/tasks", celeriac(app, { expose: [add], auth: bearer(process.env.API_TOKEN) }));
const server = await serve(app, { hono: api, port: Number(process.env.PORT ?? 3000), hostname: "127.0.0.1" });
console.log(`listening on ${server.url}`);
process.once("SIGTERM", () => void server.stop());
process.once("SIGINT", () => void server.stop());
