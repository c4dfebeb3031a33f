/**
 * Routes of the local QStash API over messages: publishing (single, queued, batch), pending
 * messages and the DLQ.
 * @module
 */
import { BadRequest, toMessage } from "./request.ts";
import { dlqView, json, messageView, notFound, utf8, type Ctx, type Route } from "./respond.ts";

async function publish(x: Ctx, destination: string, headers: Headers, body: Uint8Array, queueName?: string) {
  const o = x.engine.opts;
  const msg = await toMessage(destination, headers, body, {
    now: x.engine.clock.now(), id: x.engine.id("msg"), retries: o.defaultRetries ?? 3, timeoutMs: o.deliveryTimeoutMs ?? 30_000, queueName,
  });
  return { ...x.engine.add(msg), url: destination };
}

/** `POST /v2/publish/<dest>`, `/v2/enqueue/<queue>/<dest>`, `/v2/batch`. */
export const publishing: Route = async (x) => {
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

/** `GET|DELETE /v2/messages/:id`, `DELETE /v2/messages`. */
export const messages: Route = ({ m, b, q, engine }) => {
  if (m === "GET" && b) return engine.messages.has(b) ? json(200, messageView(engine.messages.get(b)!)) : notFound(`message ${b}`);
  if (m === "DELETE" && b) return engine.cancel(b) ? json(200, { cancelled: 1 }) : notFound(`message ${b}`);
  if (m !== "DELETE") return null;
  const ids = q.getAll("messageIds");
  return json(200, { cancelled: (ids.length ? ids : [...engine.messages.keys()]).filter((id) => engine.cancel(id)).length });
};

/** `GET|DELETE /v2/dlq[/:id]`, `POST /v2/dlq/retry[/:id]`. */
export const dlq: Route = ({ m, b, c, q, engine }) => {
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
