// The tasks and the Hono API, shared by the Worker (worker.ts). In an app outside this repo the
// imports are "celeriac", "celeriac/adapters/hono" and "celeriac/workers/cloudflare".
import { Hono } from "hono";
import { bearer, celeriac } from "../../adapters/hono/mod.ts";
import { Celeriac, crontab } from "../../mod.ts";
import { fromEnv, type CloudflareEnv } from "../../workers/cloudflare/mod.ts";

export interface Env extends CloudflareEnv {
  API_TOKEN: string;
}

/** Use 1 and 4: the app on Cloudflare Queues (broker) and Upstash Redis (results), with beat. */
export function build(env: Env): Celeriac {
  const app = new Celeriac("shop", fromEnv(env, { queues: "JOBS" }));
  app.task("tasks.add", (a: number, b: number) => a + b);
  app.task("tasks.sendWelcomeEmail", (userId: number) => ({ sentTo: userId }));
  app.task("tasks.nightlyReport", () => ({ at: new Date().toISOString() }));
  app.conf.beatSchedule = { nightly: { task: "tasks.nightlyReport", schedule: crontab({ minute: 0, hour: 3 }) } };
  return app;
}

/** Use 3: a Hono API that enqueues tasks (exposed ones by name, others from your own routes). */
export function routes(env: Env, app: Celeriac): Hono {
  const api = new Hono();
  api.route("/tasks", celeriac(app, { expose: ["tasks.add"], auth: bearer(env.API_TOKEN) }));
  api.post("/signup", async (c) => c.json({ task: (await app.sendTask("tasks.sendWelcomeEmail", [123])).id }, 202));
  return api;
}
