/**
 * Celery's remote control (kombu's pidbox, monitoring-protocol.md §2) for a long-running
 * worker: reads a broadcast envelope, runs the command when it is meant for this hostname and
 * not expired, and LPUSHes `{hostname: reply}` with the request's ticket to its reply queue.
 * Commands: `ping`, `active`, `reserved`, `scheduled`, `registered`, `stats`, `active_queues`,
 * `revoked`, `conf`, `revoke` (also stored in the broker), `shutdown` (a warm shutdown), and
 * `enable_events` / `disable_events` / `heartbeat`, which Flower sends (accepted, no effect).
 * @module
 */
import type { AppHost } from "../host.ts";
import { READY_STATES, REVOKED } from "../states.ts";
import { base64DecodeUtf8, base64EncodeUtf8 } from "../util/encoding.ts";
import { naiveUtc } from "../util/time.ts";
import type { WorkerState } from "./state.ts";

/** What the pidbox reads of its worker (a `Monitor` is one). */
export interface PidboxHost {
  readonly state: WorkerState;
  /** Lamport clock, advanced by requests and replies. */
  clock: number;
  readonly opts: { hostname: string; queues(): string[]; concurrency: number; prefetch: number; pid?: number };
}

/** A decoded pidbox request. */
export interface ControlRequest {
  method: string;
  arguments?: Record<string, unknown>;
  destination?: string[] | null;
  pattern?: string | null;
  matcher?: string | null;
  ticket?: string;
  reply_to?: { exchange: string; routing_key: string };
}

type Handler = (args: Record<string, unknown>) => unknown | Promise<unknown>;

/** Answers the pidbox broadcasts for one worker. */
export class Pidbox {
  private readonly handlers: Record<string, Handler>;

  constructor(private readonly app: AppHost, private readonly monitor: PidboxHost, onShutdown: () => void) {
    const s = monitor.state;
    const o = monitor.opts;
    this.handlers = {
      ping: () => ({ ok: "pong" }),
      active: () => [...s.active.values()],
      reserved: () => [...s.reserved.values()],
      scheduled: () => s.pendingScheduled(),
      registered: () => [...app.tasks.keys()].filter((n) => !n.startsWith("celery.")).sort(),
      revoked: () => [...s.revoked],
      active_queues: () => o.queues().map(queueInfo),
      conf: () => JSON.parse(JSON.stringify(app.conf, (_k, v) => (typeof v === "function" ? undefined : v))),
      stats: () => ({
        total: { ...s.total }, pid: o.pid ?? 0, clock: String(monitor.clock), uptime: Math.floor((app.clock.now() - s.startedAt) / 1000),
        pool: { "max-concurrency": o.concurrency, implementation: "celeriac:async", processes: [o.pid ?? 0] },
        prefetch_count: o.prefetch, broker: { transport: app.broker.name }, rusage: "N/A", sw_ident: "celeriac",
      }),
      revoke: (a) => this.revoke(a),
      shutdown: () => {
        onShutdown();
        return { ok: "shutting down" };
      },
      enable_events: () => ({ ok: "task events already enabled" }),
      disable_events: () => ({ ok: "celeriac keeps its events as configured" }),
      heartbeat: () => ({ ok: "heartbeat sent" }),
    };
  }

  /** Handle one broadcast envelope; a foreign, expired or malformed one is ignored. */
  async handle(payload: string): Promise<void> {
    const decoded = decodeRequest(payload);
    if (!decoded) return;
    const { body, clock, expires } = decoded;
    this.monitor.clock = Math.max(this.monitor.clock, clock) + 1;
    if (expires && this.app.clock.now() / 1000 > expires) return;
    if (!this.meantForMe(body)) return;
    const handler = Object.hasOwn(this.handlers, body.method) ? this.handlers[body.method] : undefined;
    let reply: unknown;
    try {
      reply = handler ? await handler(body.arguments ?? {}) : { error: `No such control command: ${body.method}` };
    } catch (err) {
      reply = { error: String((err as Error)?.message ?? err) };
    }
    if (!body.reply_to || !body.ticket) return;
    const { exchange, routing_key } = body.reply_to;
    await this.app.broker.events!.reply!(exchange, routing_key, replyEnvelope(
      { [this.monitor.opts.hostname]: reply }, body.reply_to, body.ticket, ++this.monitor.clock,
    ));
  }

  private meantForMe(b: ControlRequest): boolean {
    const me = this.monitor.opts.hostname;
    if (b.destination?.length) return b.destination.includes(me);
    if (b.pattern && b.matcher) return b.matcher === "pcre" ? new RegExp(b.pattern).test(me) : globMatch(b.pattern, me);
    return true;
  }

  // Celery's `revoke`: remembered here, stored in the broker (or as REVOKED records) for every worker.
  private async revoke(a: Record<string, unknown>): Promise<unknown> {
    const ids = (Array.isArray(a.task_id) ? a.task_id : [a.task_id]).filter((x): x is string => typeof x === "string" && x !== "");
    if (!ids.length) return { error: "revoke needs task_id" };
    this.monitor.state.revoke(ids);
    const app = this.app;
    if (app.broker.revoke && app.broker.capabilities.revocation) await app.broker.revoke(ids, app.conf.revokedExpires * 1000);
    else {
      const metas = await app.backend.mget(ids);
      const writes = ids.filter((_, i) => !(metas[i] && READY_STATES.has(metas[i]!.status))).map((id) => ({
        meta: {
          status: REVOKED, result: { exc_type: "TaskRevokedError", exc_message: ["revoked"], exc_module: "celery.exceptions" },
          traceback: null, children: [], date_done: naiveUtc(app.clock.now()), task_id: id,
        },
        ttlMs: app.resultTtlMs(),
      }));
      if (writes.length) await app.backend.set(writes);
    }
    return { ok: `tasks ${ids.join(", ")} flagged as revoked` };
  }
}

/** Decode a pidbox envelope: its body, the sender's Lamport clock and `expires` (epoch s, 0 = none). */
export function decodeRequest(payload: string): { body: ControlRequest; clock: number; expires: number } | null {
  try {
    const env = JSON.parse(payload) as { body: string; headers?: { clock?: number; expires?: number }; properties?: { body_encoding?: string } };
    const body = JSON.parse(env.properties?.body_encoding === "base64" ? base64DecodeUtf8(env.body) : env.body) as ControlRequest;
    if (typeof body?.method !== "string") return null;
    return { body, clock: Number(env.headers?.clock) || 0, expires: Number(env.headers?.expires) || 0 };
  } catch {
    return null;
  }
}

/** The kombu envelope of a pidbox message (request or reply). */
export function controlEnvelope(body: unknown, headers: Record<string, unknown>, exchange: string, routingKey: string): string {
  return JSON.stringify({
    body: base64EncodeUtf8(JSON.stringify(body)), "content-encoding": "utf-8", "content-type": "application/json", headers,
    properties: {
      delivery_mode: 1, delivery_info: { exchange, routing_key: routingKey }, priority: 0, body_encoding: "base64",
      delivery_tag: crypto.randomUUID(),
    },
  });
}

function replyEnvelope(body: unknown, to: { exchange: string; routing_key: string }, ticket: string, clock: number): string {
  return controlEnvelope(body, { ticket, clock }, to.exchange, to.routing_key);
}

function queueInfo(name: string): Record<string, unknown> {
  return {
    name, exchange: { name, type: "direct", durable: true, auto_delete: false, delivery_mode: null, arguments: null, passive: false },
    routing_key: name, durable: true, exclusive: false, auto_delete: false, no_ack: false, alias: null, bindings: [],
    queue_arguments: null, binding_arguments: null, consumer_arguments: null, no_declare: null, expires: null,
    message_ttl: null, max_length: null, max_length_bytes: null, max_priority: null,
  };
}

// fnmatch-style: `*` any run, `?` one character.
function globMatch(pattern: string, s: string): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${re}$`).test(s);
}
