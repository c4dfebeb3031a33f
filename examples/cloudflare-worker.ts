// A production-shaped Cloudflare Worker on Upstash Redis (see docs/cloudflare.md).
// In an app outside this repo the imports are "celeriac" and "celeriac/adapters/upstash-redis".
//
//   npx wrangler secret put UPSTASH_REDIS_REST_URL
//   npx wrangler secret put UPSTASH_REDIS_REST_TOKEN
//   npx wrangler deploy examples/cloudflare-worker.ts   # with [triggers] crons in wrangler.toml
import { Celeriac, every, SignatureError } from "../mod.ts";
import { fromEnv, type UpstashRedisEnv } from "../adapters/upstash-redis/mod.ts";

interface ScheduledController {
  readonly scheduledTime: number;
  readonly cron: string;
}
interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
}

// worker.fetch refuses unverified POSTs: the drain route wants `Authorization: Bearer <DRAIN_TOKEN>`
// (npx wrangler secret put DRAIN_TOKEN). With QStash push, pass qstashVerifier(env) instead.
type Env = UpstashRedisEnv & { DRAIN_TOKEN?: string };
const bearer = (token: string | undefined) => async (req: Request): Promise<string> => {
  if (!token || req.headers.get("authorization") !== `Bearer ${token}`) throw new SignatureError("missing or wrong drain token");
  return req.text();
};

function build(env: Env) {
  const app = new Celeriac("tasks", fromEnv(env));
  const add = app.task("tasks.add", (a: number, b: number) => a + b);
  app.task("tasks.cleanup", () => ({ cleanedAt: new Date().toISOString() }));
  app.conf.beatSchedule = { cleanup: { task: "tasks.cleanup", schedule: every("5m") } };
  return { app, add, worker: app.worker({ http: { verify: bearer(env.DRAIN_TOKEN), drain: { maxTasks: 100, budgetMs: 20_000 } } }) };
}

// One app per isolate: env does not change between requests of the same deployment.
let cached: ReturnType<typeof build> | undefined;
const get = (env: Env) => (cached ??= build(env));

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const { app, add, worker } = get(env);
    const url = new URL(request.url);
    if (request.method === "POST" && url.pathname === "/add") {
      const { a, b } = (await request.json()) as { a: number; b: number };
      return Response.json({ id: (await add.delay(a, b)).id });
    }
    if (request.method === "GET" && url.pathname.startsWith("/result/")) {
      const r = app.AsyncResult(url.pathname.slice("/result/".length));
      return Response.json({ state: await r.state, result: (await r.result) ?? null });
    }
    if (url.pathname === "/drain") return worker.fetch(request);
    return new Response("not found", { status: 404 });
  },

  // Every Cron Trigger: send due beat entries (once per slot), then run what is queued.
  scheduled(controller: ScheduledController, env: UpstashRedisEnv, ctx: ExecutionContext): void {
    const { app, worker } = get(env);
    ctx.waitUntil(
      app.beat.tick(new Date(controller.scheduledTime)).then(() => worker.drain({ maxTasks: 100, budgetMs: 20_000 })),
    );
  },
};
