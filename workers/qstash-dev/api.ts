/**
 * The HTTP API of the local QStash server (the v2 paths the official `@upstash/qstash` Client
 * calls), as one web-standard `(Request) => Promise<Response>` handler: bearer auth, body cap,
 * routing by the first path segment (routes in ./message-routes.ts and ./admin-routes.ts).
 * @module
 */
import { readCapped } from "../../src/worker/http.ts";
import { queues, scheduling } from "./admin-routes.ts";
import type { Engine } from "./engine.ts";
import { dlq, messages, publishing } from "./message-routes.ts";
import { BadRequest } from "./request.ts";
import { json, type Ctx, type Route } from "./respond.ts";
import type { Schedules } from "./schedules.ts";
import { DEV_CREDENTIALS } from "./types.ts";

const ROUTES: Record<string, Route> = {
  publish: publishing, enqueue: publishing, batch: publishing, messages, dlq, schedules: scheduling, queues,
  keys: ({ m, engine }) => m !== "GET" ? null : json(200, {
    current: engine.opts.currentSigningKey ?? DEV_CREDENTIALS.currentSigningKey, next: engine.opts.nextSigningKey ?? DEV_CREDENTIALS.nextSigningKey,
  }),
};

/** The API handler over one engine and its schedules. */
export function apiHandler(engine: Engine, schedules: Schedules): (req: Request) => Promise<Response> {
  const token = engine.opts.token ?? DEV_CREDENTIALS.token;
  const maxBody = engine.opts.maxBodyBytes ?? 10 << 20;
  return async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    if (!url.pathname.startsWith("/v2/")) return json(404, { error: "not found" });
    if (req.headers.get("authorization") !== `Bearer ${token}`) {
      return json(401, { error: "unauthorized: give Authorization: Bearer <QSTASH_TOKEN>" });
    }
    const [a, b, c] = url.pathname.split("/").slice(2);
    const x: Ctx = {
      req, m: req.method, q: url.searchParams, a, b, c, engine, schedules,
      // The destination sits unencoded in the path; its own query string is the request's.
      dest: url.pathname.slice(4) + url.search,
      async body() {
        const bytes = await readCapped(req, maxBody);
        if (!bytes) throw new BadRequest(`body over ${maxBody} bytes`);
        return bytes;
      },
    };
    try {
      const res = a && Object.hasOwn(ROUTES, a) ? await ROUTES[a]!(x) : null;
      return res ?? json(404, { error: `no route ${req.method} ${url.pathname} on the local QStash server` });
    } catch (err) {
      if (err instanceof BadRequest || err instanceof SyntaxError) return json(400, { error: err.message });
      throw err;
    }
  };
}
