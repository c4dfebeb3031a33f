/**
 * Celery's monitoring events as they travel on the broker (celery-reference.md §2.7,
 * monitoring-protocol.md §1): event dicts with Celery's field names, and the kombu envelope
 * (base64 JSON body, `delivery_info.exchange` `celeryev`, routing key = type with `-` → `.`;
 * task events go out together as one JSON list under `task.multi`, as Celery's buffered
 * dispatcher sends them).
 * @module
 */
import type { FanoutMessage } from "../ports.ts";
import { base64DecodeUtf8, base64EncodeUtf8 } from "../util/encoding.ts";
import type { TaskEvent } from "./events.ts";

/** A Celery event as a monitor receives it: `type`, `hostname`, `timestamp` (epoch s), `clock`, and the rest. */
export type CeleryEvent = Record<string, unknown> & { type: string; hostname: string; timestamp: number };

/** Celery's `utcoffset` of this host: hours west of UTC, floored (0 on a UTC host). */
export function utcoffset(): number {
  return Math.floor(new Date().getTimezoneOffset() / 60);
}

/** A value as Python's `repr` would print its JSON counterpart (`'a'`, `None`, `True`, `{'k': 1}`). */
export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return "None";
  if (v === true) return "True";
  if (v === false) return "False";
  if (typeof v === "number") return String(v);
  if (typeof v === "string") return `'${v.replace(/\\/g, "\\\\").replace(/'/g, "\\'").replace(/\n/g, "\\n")}'`;
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(", ")}]`;
  if (typeof v === "object") return `{${Object.entries(v).map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(", ")}}`;
  return pyRepr(String(v));
}

/** A task event with Celery's fields (`result` as a repr string, as Celery sends it). */
export function celeryTaskEvent(e: TaskEvent, clock: number, pid: number): CeleryEvent {
  const out: CeleryEvent = { type: e.type, hostname: e.hostname, timestamp: e.timestamp, utcoffset: utcoffset(), pid, clock, uuid: e.uuid };
  switch (e.type) {
    case "task-received":
      Object.assign(out, {
        name: e.name, args: e.args ?? "()", kwargs: e.kwargs ?? "{}", root_id: e.rootId ?? null, parent_id: e.parentId ?? null,
        retries: e.retries ?? 0, eta: e.eta ?? null, expires: e.expires ?? null,
      });
      break;
    case "task-succeeded":
      Object.assign(out, { result: pyRepr(e.result), runtime: e.runtime ?? 0 });
      break;
    case "task-failed":
    case "task-retried":
      Object.assign(out, { exception: e.exception ?? "", traceback: e.traceback ?? "" });
      break;
    case "task-revoked":
      Object.assign(out, { terminated: false, signum: null, expired: e.reason === "expired" });
      break;
    case "task-progress":
      Object.assign(out, { state: e.state, meta: e.meta ?? null });
      break;
    case "task-rejected":
      Object.assign(out, { requeue: false });
      break;
  }
  return out;
}

/** The kombu envelope of an event (or a list of events) on the `celeryev` exchange. */
export function eventEnvelope(body: CeleryEvent | CeleryEvent[], routingKey: string, hostname: string): FanoutMessage {
  const payload = JSON.stringify({
    body: base64EncodeUtf8(JSON.stringify(body)), "content-encoding": "utf-8", "content-type": "application/json",
    headers: { hostname },
    properties: {
      delivery_mode: 1, delivery_info: { exchange: "celeryev", routing_key: routingKey }, priority: 0,
      body_encoding: "base64", delivery_tag: crypto.randomUUID(),
    },
  });
  return { routingKey, payload };
}

/** The routing key of an event type (`worker-heartbeat` → `worker.heartbeat`). */
export function routingKeyOf(type: string): string {
  return type.replace(/-/g, ".");
}

/** The events inside one received envelope (a `task.multi` list gives several); [] for a foreign one. */
export function decodeEvents(payload: string): CeleryEvent[] {
  try {
    const env = JSON.parse(payload) as { body?: unknown; properties?: { body_encoding?: string } };
    const raw = typeof env.body === "string" && env.properties?.body_encoding === "base64" ? base64DecodeUtf8(env.body) : env.body;
    const body = typeof raw === "string" ? JSON.parse(raw) : raw;
    const list = Array.isArray(body) ? body : [body];
    return list.filter((e): e is CeleryEvent => typeof e === "object" && e !== null && typeof (e as CeleryEvent).type === "string");
  } catch {
    return [];
  }
}
