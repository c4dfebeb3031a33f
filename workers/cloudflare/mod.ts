/**
 * The whole Cloudflare Worker: `export default celeriacWorker(app, { hono: api })` gives
 * `fetch` (your Hono app), `scheduled` (beat tick, then a drain within the budget, kept alive
 * with `ctx.waitUntil`) and `queue` (runs a Cloudflare Queues batch).
 * @module
 */
import { consumeBatch, type ConsumeOptions, type QueueBatch } from "../../adapters/cloudflare-queues/consumer.ts";
import type { Celeriac } from "../../src/app.ts";
import { isPullBroker } from "../../src/ports.ts";
import type { DrainOptions, Worker, WorkerOptions } from "../../src/worker/worker.ts";

export { fromEnv, type CloudflareEnv, type CloudflareFromEnvOptions } from "./env.ts";

/** The parts of workerd's `ExecutionContext` and `ScheduledController` used here. */
export interface ExecutionContextLike { waitUntil(promise: Promise<unknown>): void }
export interface ScheduledControllerLike { readonly scheduledTime: number; readonly cron: string }
/** Anything with a Workers-style `fetch` (a Hono app). */
// deno-lint-ignore no-explicit-any
export interface FetchHandler<Env> { fetch(request: Request, env: Env, ctx: any): Response | Promise<Response> }

/** Options of `celeriacWorker`. Values may be factories of `env`, called once per isolate. */
export interface CeleriacWorkerOptions<Env> {
  hono?: FetchHandler<Env> | ((env: Env, app: Celeriac) => FetchHandler<Env>);
  worker?: WorkerOptions;
  /** Limits of the drain after each tick (default 100 tasks, 20 s). */
  drain?: DrainOptions;
  queue?: ConsumeOptions;
}

/** The module Worker's handlers. */
export interface CeleriacWorkerHandlers<Env> {
  fetch(request: Request, env: Env, ctx: ExecutionContextLike): Promise<Response>;
  scheduled(controller: ScheduledControllerLike, env: Env, ctx: ExecutionContextLike): Promise<void>;
  queue(batch: QueueBatch, env: Env, ctx: ExecutionContextLike): Promise<void>;
}

/** The Worker for `app` (or `(env) => app`). */
export function celeriacWorker<Env = unknown>(app: Celeriac | ((env: Env) => Celeriac), opts: CeleriacWorkerOptions<Env> = {}): CeleriacWorkerHandlers<Env> {
  let bound: { app: Celeriac; worker: Worker; hono?: FetchHandler<Env> } | undefined;
  const get = (env: Env) => {
    if (bound) return bound;
    const a = typeof app === "function" ? app(env) : app;
    return (bound = { app: a, worker: a.worker(opts.worker), hono: typeof opts.hono === "function" ? opts.hono(env, a) : opts.hono });
  };
  return {
    async fetch(request, env, ctx) {
      const { hono } = get(env);
      return hono ? await hono.fetch(request, env, ctx) : Response.json({ error: "not found" }, { status: 404 });
    },
    async scheduled(controller, env, ctx) {
      const { app: a, worker } = get(env);
      const run = a.beat.tick(controller.scheduledTime).then(async () => {
        if (isPullBroker(a.broker)) await worker.drain({ maxTasks: 100, budgetMs: 20_000, ...opts.drain });
      });
      ctx.waitUntil(run);
      await run;
    },
    async queue(batch, env) {
      await consumeBatch(get(env).worker, batch, opts.queue);
    },
  };
}
