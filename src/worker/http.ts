/**
 * The worker as a web-standard request handler, for routes (Hono, Workers `fetch`) and push
 * deliveries: `POST` with a Celery envelope runs that message; `POST` with an empty body drains
 * a pull broker within a budget. Closed by default: without a verifier (or an explicit
 * `insecureNoVerify: true`) every POST is refused.
 * @module
 */
import { SignatureError } from "../errors.ts";
import { decodeMessage, toOutbound } from "../message.ts";
import { isPullBroker, type Broker } from "../ports.ts";
import { headersOf, nonEmpty, type DrainOptions, type DrainReport, type Execution } from "./outcome.ts";

/** What the handler needs from a worker. */
export interface HandlerHost {
  readonly app: { readonly broker: Broker; readonly clock?: { now(): number } };
  drain(opts?: DrainOptions): Promise<DrainReport>;
  handle(payload: string, opts?: { redelivered?: boolean; signal?: AbortSignal }): Promise<Execution>;
}

/** Options of the request handler. */
export interface HandlerOptions {
  /**
   * Verify the request and return its body (e.g. `qstashVerifier(env)` from
   * `celeriac/adapters/qstash`). Throwing rejects the request with 401 before anything runs.
   * It receives a copy of the request whose body was already read within `maxBodyBytes`.
   */
  verify?: (request: Request) => Promise<string>;
  /**
   * Accept unverified requests (anyone who can reach the route can run any registered task).
   * Only for routes protected otherwise (private network, a framework's auth middleware).
   */
  insecureNoVerify?: boolean;
  /** Largest accepted body in bytes (default 1 MiB); larger requests get 413 unread. */
  maxBodyBytes?: number;
  /** Limits of a drain triggered by an empty POST (query `?maxTasks=&budgetMs=` may lower them). */
  drain?: DrainOptions;
}

/** Default `maxBodyBytes`: 1 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 1 << 20;

const CLOSED = "worker.fetch refuses unverified requests: set http: { verify } (e.g. qstashVerifier(env)), " +
  "or http: { insecureNoVerify: true } if the route is protected otherwise";

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

/** Read a body as bytes, giving up (null) as soon as it exceeds `max`: never buffers more. */
export async function readCapped(request: Request, max: number): Promise<Uint8Array<ArrayBuffer> | null> {
  const reader = request.body?.getReader();
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  // A declared length over the cap is refused unread.
  let total = Number(request.headers.get("content-length")) > max ? Infinity : 0;
  while (reader && total <= max) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    chunks.push(value);
  }
  if (total > max) {
    await reader?.cancel().catch(() => {});
    return null;
  }
  return new Uint8Array(await new Blob(chunks).arrayBuffer());
}

/** The task id and name of an envelope, without validating it (nulls when unreadable). */
export function peekIds(payload: string): { taskId: string | null; task: string | null } {
  const h = headersOf(payload);
  return { taskId: nonEmpty(h.id), task: typeof h.task === "string" ? h.task : null };
}

/**
 * Answer one request. Status codes: 200 ran (whatever the task's outcome: SUCCESS, FAILURE,
 * RETRY with the retry republished, an id that had already finished) or drained; 401 not
 * verified (or no verifier configured); 405 not POST; 413 body over `maxBodyBytes`;
 * 489 + `Upstash-NonRetryable-Error: true` malformed or unknown message (the platform's
 * dead-letter queue keeps it, the reason is in the body); 503 our broker/backend failed (the
 * platform redelivers) or, on pull brokers, the message is not due yet (`Retry-After`). On a
 * push broker a message that is not due yet is republished for its time and answered 200.
 */
export async function handleRequest(w: HandlerHost, request: Request, opts: HandlerOptions = {}): Promise<Response> {
  if (request.method !== "POST") return json(405, { error: "use POST" }, { allow: "POST" });
  if (!opts.verify && opts.insecureNoVerify !== true) {
    // Refused: the body is dropped unread.
    await request.body?.cancel().catch(() => {});
    return json(401, { error: CLOSED });
  }
  const max = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const bytes = await readCapped(request, max);
  if (!bytes) return json(413, { error: `body over ${max} bytes (http.maxBodyBytes)` });
  let body: string;
  try {
    body = opts.verify
      ? await opts.verify(new Request(request.url, { method: "POST", headers: request.headers, body: bytes }))
      : new TextDecoder().decode(bytes);
  } catch (err) {
    return json(401, { error: err instanceof SignatureError ? err.message : "request verification failed" });
  }
  if (!body.trim()) {
    if (!isPullBroker(w.app.broker)) return json(400, { error: "empty body: nothing to run" });
    const q = new URL(request.url).searchParams;
    const limit = (name: "maxTasks" | "budgetMs"): number | undefined => {
      const v = Number(q.get(name) ?? NaN);
      const base = opts.drain?.[name];
      return Number.isFinite(v) ? Math.min(v, base ?? Infinity) : base;
    };
    return json(200, await w.drain({ ...opts.drain, maxTasks: limit("maxTasks"), budgetMs: limit("budgetMs"), signal: request.signal }));
  }
  const redelivered = Number(request.headers.get("upstash-retried")) > 0;
  try {
    const exec = await w.handle(body, { redelivered, signal: request.signal });
    const d = exec.disposition;
    if (d.kind === "deadLetter") {
      return json(489, { error: d.reason, taskId: exec.taskId }, { "upstash-nonretryable-error": "true" });
    }
    if (d.kind === "requeue") {
      if (isPullBroker(w.app.broker)) {
        return json(503, { taskId: exec.taskId, retryInMs: d.delayMs }, { "retry-after": String(Math.ceil(d.delayMs / 1000)) });
      }
      // Not due yet (an ETA beyond the platform's delay cap, a rate limit): send it again for later.
      const out = toOutbound(await (w.app.broker.decode ?? decodeMessage)(body));
      out.notBefore = (w.app.clock?.now() ?? Date.now()) + d.delayMs;
      await w.app.broker.publish([out]);
      return json(200, { taskId: exec.taskId, state: null, delayedUntil: out.notBefore });
    }
    return json(200, { taskId: exec.taskId, state: exec.state });
  } catch (err) {
    // Our broker or backend failed: nothing was acknowledged, so let the platform redeliver.
    return json(503, { error: `worker failed: ${(err as Error)?.message ?? String(err)}`.slice(0, 500) });
  }
}
