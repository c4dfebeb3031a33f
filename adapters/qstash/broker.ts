/**
 * QStash as a push broker: `publish` sends each Celery envelope to your worker's URL over
 * QStash's v2 HTTP API with plain `fetch` (one message = one publish, many = one `/v2/batch`),
 * or through an official `@upstash/qstash` `Client` you pass as `client`. QStash then POSTs it,
 * signed, to `worker.fetch` (verify with `qstashVerifier`). Storage and transport only:
 * retries, ETA, revocation and canvas stay in the core.
 * @module
 */
import { decodeIncoming } from "../../src/decode.ts";
import { ConfigError } from "../../src/errors.ts";
import type { Broker, BrokerCapabilities, OutboundMessage } from "../../src/ports.ts";
import { ADAPTER, DEFAULT_BASE_URL, guarded, qstashCall, type PublishRequest } from "./http.ts";
import { clientPublisher, fetchPublisher, type QStashClientLike } from "./publisher.ts";

export { ADAPTER };

/** QStash's longest delay on the free plan (7 days); paid plans allow more (`maxDelaySeconds`). */
export const DEFAULT_MAX_DELAY_SECONDS = 7 * 86_400;

/** Options of `qstashBroker`. */
export interface QStashBrokerOptions {
  /** QStash token (`QSTASH_TOKEN`); not needed with `client`. */
  token?: string;
  /** The URL QStash delivers to: your route that calls `app.worker({ http: { verify } }).fetch`. */
  workerUrl: string;
  /** QStash API URL (default `https://qstash.upstash.io`; `http://127.0.0.1:8080` for `celeriac dev`). */
  baseUrl?: string;
  /**
   * Longest `Upstash-Not-Before` distance QStash accepts for your plan (default 7 days). A later
   * ETA is sent for this distance and sent again, for the rest, when it arrives early.
   */
  maxDelaySeconds?: number;
  /**
   * Celery queues sent into a QStash queue of the same name (`/v2/enqueue/<queue>`) with this
   * parallelism, created on first use. Other queues are plain publishes (no ordering).
   */
  queues?: Record<string, { parallelism: number }>;
  /** QStash redeliveries after our endpoint failed (5xx, timeout) (default 3, QStash's). */
  retries?: number;
  /** Deadline of each QStash API call in ms (default 10 000) → `AdapterError{retryable:true}`. */
  timeoutMs?: number;
  /**
   * Send through this official `@upstash/qstash` `Client` instead of `fetch` (then `token` is
   * not read; `baseUrl` only names the endpoint in errors).
   */
  client?: QStashClientLike;
}

/** Deduplication id: a double send of one message runs once; its retries and re-delays are new. */
export function dedupId(m: OutboundMessage, deliverAt: number | undefined): string {
  let retries = 0;
  try {
    retries = Number((JSON.parse(m.payload) as { headers?: { retries?: number } }).headers?.retries ?? 0);
  } catch { /* malformed payloads still get an id */ }
  return `${m.id}.r${retries}${deliverAt ? `.t${Math.floor(deliverAt / 1000)}` : ""}`;
}

/** The QStash push broker. */
export function qstashBroker(opts: QStashBrokerOptions): Broker {
  if (!opts.client && !opts.token) throw new ConfigError("qstashBroker needs { token } (QSTASH_TOKEN) or { client }");
  if (!opts.workerUrl) throw new ConfigError("qstashBroker needs { workerUrl } (the URL QStash delivers to)");
  const endpoint = opts.baseUrl ?? DEFAULT_BASE_URL;
  const via = opts.client ? clientPublisher(opts.client) : fetchPublisher(qstashCall(opts.token!, endpoint));
  const maxDelayMs = (opts.maxDelaySeconds ?? DEFAULT_MAX_DELAY_SECONDS) * 1000;
  const upserted = new Map<string, Promise<void>>();

  const request = (m: OutboundMessage, now: number): PublishRequest => {
    const deliverAt = m.notBefore && m.notBefore > now ? Math.min(m.notBefore, now + maxDelayMs) : undefined;
    const queue = opts.queues?.[m.queue] ? m.queue : undefined;
    return {
      url: opts.workerUrl, body: m.payload, headers: { "content-type": "application/json" },
      deduplicationId: dedupId(m, deliverAt), retries: opts.retries,
      ...(deliverAt ? { notBefore: Math.ceil(deliverAt / 1000) } : {}),
      ...(queue ? { queueName: queue } : {}),
    };
  };

  const ensureQueue = (name: string, signal: AbortSignal): Promise<void> => {
    let p = upserted.get(name);
    if (!p) {
      p = via.upsertQueue(name, opts.queues![name]!.parallelism, signal);
      upserted.set(name, p.catch(() => void upserted.delete(name)));
    }
    return p;
  };

  const capabilities: BrokerCapabilities = { revocation: true };
  return {
    name: ADAPTER,
    capabilities,
    // Anyone with the token can publish an envelope: Python Celery's zlib/gzip and protocol 1 bodies are decoded too.
    decode: decodeIncoming,
    async publish(messages: OutboundMessage[]): Promise<void> {
      if (!messages.length) return;
      const now = Date.now();
      const reqs = messages.map((m) => request(m, now));
      await guarded("publish", endpoint, opts.timeoutMs ?? 10_000, async (signal) => {
        await Promise.all([...new Set(reqs.flatMap((r) => r.queueName ? [r.queueName] : []))].map((q) => ensureQueue(q, signal)));
        await (reqs.length > 1 ? via.batch(reqs, signal) : via.publish(reqs[0]!, signal));
      });
    },
    // Revocations live in the result backend (`app.revoke` stores REVOKED); the push path reads
    // the stored state before running, so a pushed revoked id is skipped.
    revoke: () => Promise.resolve(),
  };
}
