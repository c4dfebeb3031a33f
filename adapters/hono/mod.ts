/**
 * A Hono sub-app for a celeriac app: enqueue exposed tasks by name, read results, receive push
 * deliveries and beat ticks. Nothing is callable unless listed in `expose`.
 * @example
 * ```ts
 * const api = new Hono();
 * api.route("/tasks", celeriac(app, { expose: [add], auth: bearer(env.API_TOKEN) }));
 * ```
 * @module
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Celeriac } from "../../src/app.ts";
import { ConfigError } from "../../src/errors.ts";
import type { Task } from "../../src/task.ts";
import type { HandlerOptions } from "../../src/worker/http.ts";
import { Worker } from "../../src/worker/worker.ts";
import type { Auth } from "./auth.ts";
import { enqueue, fail, json, readResult } from "./routes.ts";

export { basic, bearer, timingSafeEqual, type Auth } from "./auth.ts";
export { CSRF_HEADER, dashboard, type DashboardOptions } from "./dashboard.ts";
export type { DeadRow, Snapshot, TaskRow, WorkerRow } from "./dashboard-data.ts";

/** Options of `celeriac(app, opts)`. */
export interface CeleriacRoutesOptions {
  /** Tasks (or task names) `POST /:name` may send. The default is none. */
  expose: ReadonlyArray<Task<any, any> | string>;
  /** Guards `POST /:name`, `GET /:id` and `POST /_tick` (e.g. `bearer(token)`). */
  auth?: Auth;
  /** `POST /_push` runs pushed messages through `worker.fetch` (needs `verify` or `insecureNoVerify`). */
  push?: Worker | HandlerOptions;
  /** `POST /_tick` runs `app.beat.tick()`: `true` behind `auth`, or `{ verify }` (throw to refuse). */
  tick?: true | { verify(request: Request): Promise<unknown> };
  /** Largest enqueue body in bytes (default 1 MiB → 413). */
  maxBodyBytes?: number;
}

/** The sub-app; mount it with `api.route("/tasks", celeriac(app, opts))`. */
export function celeriac(app: Celeriac, opts: CeleriacRoutesOptions): Hono {
  const exposed = new Set(opts.expose.map((t) => (typeof t === "string" ? t : t.name)));
  const { auth, push, tick } = opts;
  if (push && !(push instanceof Worker) && !push.verify && !push.insecureNoVerify) {
    throw new ConfigError("[hono] push: give verify (e.g. a QStash receiver) or insecureNoVerify: true");
  }
  if (tick === true && !auth) throw new ConfigError("[hono] tick: true needs auth, or pass tick: { verify }");
  const guard = async (request: Request): Promise<Response | null> =>
    !auth || await auth(request) ? null : fail(401, "unauthorized", {}, { "www-authenticate": "Bearer" });
  const api = new Hono();
  api.get("/_health", (c) => c.json({ ok: true, app: app.name }));
  if (push) {
    const worker = push instanceof Worker ? push : app.worker({ http: push });
    api.post("/_push", (c) => worker.fetch(c.req.raw));
  }
  if (tick) {
    api.post("/_tick", async (c) => {
      const refused = tick === true ? await guard(c.req.raw) : await tick.verify(c.req.raw).then(() => null, () => fail(401, "tick verification failed"));
      return refused ?? json(200, await app.beat.tick());
    });
  }
  const limit = bodyLimit({ maxSize: opts.maxBodyBytes ?? 1 << 20, onError: () => fail(413, "body too large") });
  api.post("/:name", limit, async (c) => (await guard(c.req.raw)) ?? enqueue(app, exposed, c.req.param("name"), c.req.raw));
  api.get("/:id", async (c) => (await guard(c.req.raw)) ?? readResult(app, c.req.param("id")));
  return api;
}
