/**
 * The HTTP API of the local QStash server (the v2 paths the official `@upstash/qstash` Client
 * calls), as one web-standard `(Request) => Promise<Response>` handler.
 * @module
 */
import { readCapped } from "../../src/worker/http.ts";
import type { Engine } from "./engine.ts";
import { BadRequest, toMessage } from "./request.ts";
import type { Schedules } from "./schedules.ts";
import { DEV_CREDENTIALS, type DlqEntry, type Message } from "./types.ts";

const json = (status: number, body: unknown): Response =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
const notFound = (what: string): Response => json(404, { error: `${what} not found` });
const utf8 = new TextDecoder();

/** A message in the API's shape (`GET /v2/messages/:id`, DLQ entries). */
export function messageView(m: Message): Record<string, unknown> {
  const view: Record<string, unknown> = {
    messageId: m.messageId, url: m.url, method: m.method, header: m.header, body: utf8.decode(m.body),
    maxRetries: m.maxRetries, notBefore: m.notBefore, createdAt: m.createdAt, callerIp: "127.0.0.1",
  };
  for (const k of ["callback", "failureCallback", "queueName", "scheduleId", "label", "flowControlKey", "parallelism"] as const) {
    if (m[k] != null) view[k] = m[k];
  }
  return view;
}

const dlqView = (e: DlqEntry): Record<string, unknown> => ({
  ...messageView(e.message), dlqId: e.dlqId, responseStatus: e.responseStatus, responseHeader: e.responseHeader,
  responseBody: e.responseBody,
});

/** One API request, parsed. */
interface Ctx {
  req: Request;
  m: string;
  q: URLSearchParams;
  /** Path segments after `/v2`. */
  a?: string;
  b?: string;
  c?: string;
  /** Raw path after `/v2/` plus the query: where destinations are read from. */
  dest: string;
  body(): Promise<Uint8Array>;
  engine: Engine;
  schedules: Schedules;
}

type Route = (x: Ctx) => Promise<Response | null> | Response | null;

async function publish(x: Ctx, destination: string, headers: Headers, body: Uint8Array, queueName?: string) {
  const o = x.engine.opts;
  const msg = await toMessage(destination, headers, body, {
    now: x.engine.clock.now(), id: x.engine.id("msg"), retries: o.defaultRetries ?? 3, timeoutMs: o.deliveryTimeoutMs ?? 30_000, queueName,
  });
  return { ...x.engine.add(msg), url: destination };
}

const publishing: Route = async (x) => {
  if (x.m !== "POST") return null;
  if (x.a === "publish") {
    const r = await publish(x, x.dest.slice("publish/".length), x.req.headers, await x.body());
    return json(r.deduplicated ? 202 : 201, r);
  }
  if (x.a === "enqueue" && x.b) {
    const r = await publish(x, x.dest.slice(`enqueue/${x.b}/`.length), x.req.headers, await x.body(), decodeURIComponent(x.b));
    return json(r.deduplicated ? 202 : 201, r);
  }
  if (x.a !== "batch") return null;
  const items = JSON.parse(utf8.decode(await x.body())) as { destination: string; headers?: Record<string, string>; body?: string; queue?: string }[];
  if (!Array.isArray(items)) throw new BadRequest("batch body must be a JSON array");
  const out = [];
  for (const it of items) out.push(await publish(x, String(it.destination), new Headers(it.headers ?? {}), new TextEncoder().encode(it.body ?? ""), it.queue));
  return json(201, out);
};

const messages: Route = ({ m, b, q, engine }) => {
  if (m === "GET" && b) return engine.messages.has(b) ? json(200, messageView(engine.messages.get(b)!)) : notFound(`message ${b}`);
  if (m === "DELETE" && b) return engine.cancel(b) ? json(200, { cancelled: 1 }) : notFound(`message ${b}`);
  if (m !== "DELETE") return null;
  const ids = q.getAll("messageIds");
  return json(200, { cancelled: (ids.length ? ids : [...engine.messages.keys()]).filter((id) => engine.cancel(id)).length });
};

const dlq: Route = ({ m, b, c, q, engine }) => {
  const ids = q.getAll("dlqIds");
  if (m === "GET" && !b) {
    const all = [...engine.dlq.values()].filter((e) => !ids.length || ids.includes(e.dlqId));
    return json(200, { messages: all.slice(0, Number(q.get("count") ?? 100)).map(dlqView) });
  }
  if (m === "GET" && b) return engine.dlq.has(b) ? json(200, dlqView(engine.dlq.get(b)!)) : notFound(`dlq entry ${b}`);
  if (m === "DELETE" && b) return engine.dlq.delete(b) ? json(200, { deleted: 1 }) : notFound(`dlq entry ${b}`);
  if (m === "DELETE") return json(200, { deleted: (ids.length ? ids : [...engine.dlq.keys()]).filter((id) => engine.dlq.delete(id)).length });
  if (m !== "POST" || b !== "retry") return null;
  const responses = (c ? [c] : ids.length ? ids : [...engine.dlq.keys()]).flatMap((id) => {
    const messageId = engine.retryDead(id);
    return messageId ? [{ messageId }] : [];
  });
  if (!c) return json(201, { responses });
  return responses[0] ? json(201, responses[0]) : notFound(`dlq entry ${c}`);
};

const scheduling: Route = async (x) => {
  const { m, b, c, schedules } = x;
  if (m === "POST" && b && !/^(pause|resume)$/.test(c ?? "")) {
    const destination = x.dest.slice("schedules/".length);
    if (/^https?:/.test(destination)) return json(201, { scheduleId: schedules.create(destination, x.req.headers, await x.body()) });
  }
  if (m === "GET" && !b) return json(200, [...schedules.all.values()].map((s) => schedules.view(s)));
  const s = b ? schedules.all.get(b) : undefined;
  if (!s) return notFound(`schedule ${b}`);
  if (m === "GET" && !c) return json(200, schedules.view(s));
  if (m === "DELETE" && !c) return schedules.delete(s.scheduleId), json(200, {});
  if ((m === "PATCH" || m === "POST") && (c === "pause" || c === "resume")) return schedules.pause(s.scheduleId, c === "pause"), json(200, {});
  return null;
};

const queues: Route = async (x) => {
  const { m, b, c, engine } = x;
  const view = (name: string) => {
    const qq = engine.queue(name);
    const lag = [...engine.messages.values()].filter((msg) => msg.queueName === name).length;
    return { name: qq.name, parallelism: qq.parallelism, paused: qq.paused, lag, createdAt: qq.createdAt, updatedAt: qq.updatedAt };
  };
  if (m === "POST" && !b) {
    const r = JSON.parse(utf8.decode(await x.body())) as { queueName?: string; parallelism?: number; paused?: boolean };
    if (!r.queueName) throw new BadRequest("queueName is required");
    Object.assign(engine.queue(r.queueName), { parallelism: Math.max(1, Number(r.parallelism ?? 1)), paused: !!r.paused, updatedAt: engine.clock.now() });
    engine.pump();
    return json(200, {});
  }
  if (m === "GET" && !b) return json(200, [...engine.queues.keys()].map(view));
  if (m === "GET" && b) return engine.queues.has(b) ? json(200, view(b)) : notFound(`queue ${b}`);
  if (m === "DELETE" && b) return engine.queues.delete(b), json(200, {});
  if (m !== "POST" || !b || (c !== "pause" && c !== "resume")) return null;
  engine.queue(b).paused = c === "pause";
  engine.pump();
  return json(200, {});
};

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
