/**
 * The worker as a web-standard request handler, for routes (Hono, Workers `fetch`) and push
 * deliveries: `POST` with a Celery envelope runs that message; `POST` with an empty body drains
 * a pull broker within a budget.
 * @module
 */
import { SignatureError } from "../errors.ts";
import { isPullBroker, type Broker } from "../ports.ts";
import type { DrainOptions, DrainReport, Execution } from "./outcome.ts";

/** What the handler needs from a worker. */
export interface HandlerHost {
  readonly app: { readonly broker: Broker };
  drain(opts?: DrainOptions): Promise<DrainReport>;
  handle(payload: string, opts?: { redelivered?: boolean; signal?: AbortSignal }): Promise<Execution>;
}

/** Options of the request handler. */
export interface HandlerOptions {
  /**
   * Verify the request and return its body (e.g. a QStash signature check). Throwing rejects
   * the request with 401. Without it every request is accepted: protect the route yourself.
   */
  verify?: (request: Request) => Promise<string>;
  /** Limits of a drain triggered by an empty POST (query `?maxTasks=&budgetMs=` may lower them). */
  drain?: DrainOptions;
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

/**
 * Answer one request. Status codes: 200 ran (whatever the task's outcome) or drained;
 * 401 verification failed; 405 not POST; 422 malformed or unknown message (the platform's
 * retry/dead-letter policy takes over, the reason is in the body); 503 + `Retry-After` when the
 * message is not due yet (ETA, rate limit).
 */
export async function handleRequest(w: HandlerHost, request: Request, opts: HandlerOptions = {}): Promise<Response> {
  if (request.method !== "POST") return json(405, { error: "use POST" }, { allow: "POST" });
  let body: string;
  try {
    body = opts.verify ? await opts.verify(request) : await request.text();
  } catch (err) {
    const reason = err instanceof SignatureError ? err.message : "request verification failed";
    return json(401, { error: reason });
  }
  if (!body.trim()) {
    if (!isPullBroker(w.app.broker)) return json(400, { error: "empty body: nothing to run" });
    const q = new URL(request.url).searchParams;
    const limit = (name: "maxTasks" | "budgetMs"): number | undefined => {
      const v = q.get(name) != null ? Number(q.get(name)) : undefined;
      const base = opts.drain?.[name];
      return v != null && Number.isFinite(v) ? Math.min(v, base ?? Infinity) : base;
    };
    return json(200, await w.drain({ ...opts.drain, maxTasks: limit("maxTasks"), budgetMs: limit("budgetMs"), signal: request.signal }));
  }
  const redelivered = Number(request.headers.get("upstash-retried") ?? 0) > 0;
  const exec = await w.handle(body, { redelivered, signal: request.signal });
  const d = exec.disposition;
  if (d.kind === "deadLetter") return json(422, { error: d.reason, taskId: exec.taskId });
  if (d.kind === "requeue") {
    return json(503, { taskId: exec.taskId, retryInMs: d.delayMs }, { "retry-after": String(Math.ceil(d.delayMs / 1000)) });
  }
  return json(200, { taskId: exec.taskId, state: exec.state });
}
