/**
 * The HTTP API of the local QStash server (the v2 paths the official `@upstash/qstash` Client
 * calls), as one web-standard `(Request) => Promise<Response>` handler.
 * @module
 */
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

/** The API handler over one engine and its schedules. */
export function apiHandler(engine: Engine, schedules: Schedules): (req: Request) => Promise<Response> {
  const token = engine.opts.token ?? DEV_CREDENTIALS.token;
  const maxBody = engine.opts.maxBodyBytes ?? 10 << 20;

  const publish = async (destination: string, headers: Headers, body: Uint8Array, queueName?: string) => {
    const o = engine.opts;
    const msg = await toMessage(destination, headers, body, {
      now: engine.clock.now(), id: engine.id("msg"), retries: o.defaultRetries ?? 3, timeoutMs: o.deliveryTimeoutMs ?? 30_000, queueName,
    });
    return { ...engine.add(msg), url: destination };
  };

  const routes = async (req: Request, path: string, dest: string): Promise<Response> => {
    const m = req.method;
    const q = new URL(req.url).searchParams;
    const seg = path.split("/").slice(2); // after "/v2"
    const [a, b, c] = seg;
    const body = async (): Promise<Uint8Array> => {
      const bytes = new Uint8Array(await req.arrayBuffer());
      if (bytes.byteLength > maxBody) throw new BadRequest(`body over ${maxBody} bytes`);
      return bytes;
    };
    if (a === "keys" && m === "GET") {
      return json(200, { current: engine.opts.currentSigningKey ?? DEV_CREDENTIALS.currentSigningKey, next: engine.opts.nextSigningKey ?? DEV_CREDENTIALS.nextSigningKey });
    }
    if (a === "publish" && m === "POST") {
      const r = await publish(dest.slice("publish/".length), req.headers, await body());
      return json(r.deduplicated ? 202 : 201, r);
    }
    if (a === "enqueue" && m === "POST" && b) {
      const r = await publish(dest.slice(`enqueue/${b}/`.length), req.headers, await body(), decodeURIComponent(b));
      return json(r.deduplicated ? 202 : 201, r);
    }
    if (a === "batch" && m === "POST") {
      const items = JSON.parse(utf8.decode(await body())) as { destination: string; headers?: Record<string, string>; body?: string; queue?: string }[];
      if (!Array.isArray(items)) throw new BadRequest("batch body must be a JSON array");
      const out = [];
      for (const it of items) out.push(await publish(String(it.destination), new Headers(it.headers ?? {}), new TextEncoder().encode(it.body ?? ""), it.queue));
      return json(201, out);
    }
    if (a === "messages") {
      if (m === "GET" && b) return engine.messages.has(b) ? json(200, messageView(engine.messages.get(b)!)) : notFound(`message ${b}`);
      if (m === "DELETE" && b) return engine.cancel(b) ? json(200, { cancelled: 1 }) : notFound(`message ${b}`);
      if (m === "DELETE") {
        const ids = q.getAll("messageIds");
        const targets = ids.length ? ids : [...engine.messages.keys()];
        return json(200, { cancelled: targets.filter((id) => engine.cancel(id)).length });
      }
    }
    if (a === "dlq") {
      if (m === "GET" && !b) {
        const ids = q.getAll("dlqIds");
        const all = [...engine.dlq.values()].filter((e) => !ids.length || ids.includes(e.dlqId));
        return json(200, { messages: all.slice(0, Number(q.get("count") ?? 100)).map(dlqView) });
      }
      if (m === "GET" && b) return engine.dlq.has(b) ? json(200, dlqView(engine.dlq.get(b)!)) : notFound(`dlq entry ${b}`);
      if (m === "DELETE" && b) return engine.dlq.delete(b) ? json(200, { deleted: 1 }) : notFound(`dlq entry ${b}`);
      if (m === "DELETE") {
        const ids = q.getAll("dlqIds");
        const targets = ids.length ? ids : [...engine.dlq.keys()];
        return json(200, { deleted: targets.filter((id) => engine.dlq.delete(id)).length });
      }
      if (m === "POST" && b === "retry") {
        const ids = c ? [c] : q.getAll("dlqIds").length ? q.getAll("dlqIds") : [...engine.dlq.keys()];
        const responses = ids.flatMap((id) => {
          const messageId = engine.retryDead(id);
          return messageId ? [{ messageId }] : [];
        });
        return c ? (responses[0] ? json(201, responses[0]) : notFound(`dlq entry ${c}`)) : json(201, { responses });
      }
    }
    if (a === "schedules") {
      if (m === "POST" && b && !/^(pause|resume)$/.test(c ?? "")) {
        const destination = dest.slice("schedules/".length);
        if (/^https?:/.test(destination)) return json(201, { scheduleId: schedules.create(destination, req.headers, await body()) });
      }
      if (m === "GET" && !b) return json(200, [...schedules.all.values()].map((s) => schedules.view(s)));
      const s = b ? schedules.all.get(b) : undefined;
      if (!s) return notFound(`schedule ${b}`);
      if (m === "GET" && !c) return json(200, schedules.view(s));
      if (m === "DELETE" && !c) return schedules.delete(s.scheduleId), json(200, {});
      if ((m === "PATCH" || m === "POST") && (c === "pause" || c === "resume")) return schedules.pause(s.scheduleId, c === "pause"), json(200, {});
    }
    if (a === "queues") {
      const view = (name: string) => {
        const qq = engine.queue(name);
        const lag = [...engine.messages.values()].filter((x) => x.queueName === name).length;
        return { name: qq.name, parallelism: qq.parallelism, paused: qq.paused, lag, createdAt: qq.createdAt, updatedAt: qq.updatedAt };
      };
      if (m === "POST" && !b) {
        const r = JSON.parse(utf8.decode(await body())) as { queueName?: string; parallelism?: number; paused?: boolean };
        if (!r.queueName) throw new BadRequest("queueName is required");
        const qq = engine.queue(r.queueName);
        Object.assign(qq, { parallelism: Math.max(1, Number(r.parallelism ?? 1)), paused: !!r.paused, updatedAt: engine.clock.now() });
        engine.pump();
        return json(200, {});
      }
      if (m === "GET" && !b) return json(200, [...engine.queues.keys()].map(view));
      if (m === "GET" && b) return engine.queues.has(b) ? json(200, view(b)) : notFound(`queue ${b}`);
      if (m === "DELETE" && b) return engine.queues.delete(b), json(200, {});
      if (m === "POST" && b && (c === "pause" || c === "resume")) {
        engine.queue(b).paused = c === "pause";
        engine.pump();
        return json(200, {});
      }
    }
    return json(404, { error: `no route ${m} /v2/${seg.join("/")} on the local QStash server` });
  };

  return async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    if (!url.pathname.startsWith("/v2/")) return json(404, { error: "not found" });
    const auth = req.headers.get("authorization");
    if (auth !== `Bearer ${token}`) return json(401, { error: "unauthorized: give Authorization: Bearer <QSTASH_TOKEN>" });
    // The destination sits unencoded in the path; its own query string is the request's.
    const dest = url.pathname.slice(4) + url.search;
    try {
      return await routes(req, url.pathname, dest);
    } catch (err) {
      if (err instanceof BadRequest || err instanceof SyntaxError) return json(400, { error: err.message });
      throw err;
    }
  };
}
