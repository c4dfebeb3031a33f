/**
 * The client side of Celery's pidbox (`celery inspect ping`, `celery control revoke`): send a
 * broadcast on `broker.events` and collect `{hostname: reply}` from every worker that answers
 * within the timeout (Celery's CLI waits 1 s). Python Celery workers answer too.
 * @module
 */
import { ConfigError } from "../errors.ts";
import type { Broker } from "../ports.ts";
import { base64DecodeUtf8 } from "../util/encoding.ts";
import { controlEnvelope } from "./pidbox.ts";

/** Options of {@link broadcastControl}. */
export interface BroadcastOptions {
  arguments?: Record<string, unknown>;
  /** Only these hostnames answer (default: every worker). */
  destination?: string[];
  /** How long to collect replies (default 1000 ms). */
  timeoutMs?: number;
  /** Epoch ms now (default `Date.now()`), for the request's `expires`. */
  now?: number;
}

/** True when `broker` can send broadcasts and collect replies. */
export function canBroadcast(broker: Broker): boolean {
  return typeof broker.events?.broadcast === "function";
}

/** Broadcast `method` and resolve to the replies by hostname (empty: no worker answered). */
export async function broadcastControl(broker: Broker, method: string, opts: BroadcastOptions = {}): Promise<Record<string, unknown>> {
  const channel = broker.events;
  if (!channel?.broadcast) throw new ConfigError(`broker ${broker.name} cannot broadcast to workers (no pidbox)`);
  const timeoutMs = opts.timeoutMs ?? 1000;
  const ticket = crypto.randomUUID();
  const oid = crypto.randomUUID();
  const body = {
    method, arguments: opts.arguments ?? {}, destination: opts.destination ?? null, pattern: null, matcher: null, ticket,
    reply_to: { exchange: "reply.celery.pidbox", routing_key: oid },
  };
  const now = opts.now ?? Date.now();
  const payload = controlEnvelope(body, { clock: 1, expires: (now + timeoutMs) / 1000 }, "celery.pidbox", "");
  const out: Record<string, unknown> = {};
  for (const raw of await channel.broadcast(payload, oid, timeoutMs, opts.destination?.length)) {
    try {
      const env = JSON.parse(raw) as { body: string; headers?: { ticket?: string }; properties?: { body_encoding?: string } };
      if (env.headers?.ticket !== ticket) continue;
      const reply = JSON.parse(env.properties?.body_encoding === "base64" ? base64DecodeUtf8(env.body) : env.body);
      if (reply && typeof reply === "object") Object.assign(out, reply);
    } catch { /* not a reply envelope */ }
  }
  return out;
}
