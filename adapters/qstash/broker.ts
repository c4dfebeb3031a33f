/**
 * QStash as a push broker: `publish` sends each Celery envelope to your worker's URL through
 * the official `@upstash/qstash` Client (one message = one publish, many = one `/v2/batch`);
 * QStash then POSTs it, signed, to `worker.fetch` (verify with `qstashVerifier`). Storage and
 * transport only: retries, ETA, revocation and canvas stay in the core.
 * @module
 */
import { Client } from "@upstash/qstash";
import { AdapterError, CeleriacError } from "../../src/errors.ts";
import type { Broker, BrokerCapabilities, OutboundMessage } from "../../src/ports.ts";

/** Adapter name used in errors and `Broker.name`. */
export const ADAPTER = "qstash";

/** QStash's longest delay on the free plan (7 days); paid plans allow more (`maxDelaySeconds`). */
export const DEFAULT_MAX_DELAY_SECONDS = 7 * 86_400;

/** Options of `qstashBroker`. */
export interface QStashBrokerOptions {
  /** QStash token (`QSTASH_TOKEN`). */
  token: string;
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
  /** Use this Client instead of one built from `token`/`baseUrl`. */
  client?: Client;
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
  const client = opts.client ?? new Client({ token: opts.token, baseUrl: opts.baseUrl, enableTelemetry: false });
  const endpoint = opts.baseUrl ?? "https://qstash.upstash.io";
  const maxDelayMs = (opts.maxDelaySeconds ?? DEFAULT_MAX_DELAY_SECONDS) * 1000;
  const upserted = new Map<string, Promise<void>>();

  const guard = async <T>(op: string, fn: () => Promise<T>): Promise<T> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const ms = opts.timeoutMs ?? 10_000;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new AdapterError(ADAPTER, `${op} at ${endpoint} timed out after ${ms} ms`)), ms);
    });
    try {
      return await Promise.race([fn(), deadline]);
    } catch (cause) {
      if (cause instanceof CeleriacError) throw cause;
      const status = (cause as { status?: number })?.status;
      const detail = String((cause as Error)?.message ?? cause).slice(0, 200);
      const retryable = status == null || status >= 500 || status === 429;
      throw new AdapterError(ADAPTER, `${op} at ${endpoint} failed${status ? ` (HTTP ${status})` : ""}: ${detail}`, { cause, retryable });
    } finally {
      clearTimeout(timer);
    }
  };

  const request = (m: OutboundMessage, now: number) => {
    const deliverAt = m.notBefore && m.notBefore > now ? Math.min(m.notBefore, now + maxDelayMs) : undefined;
    const queue = opts.queues?.[m.queue] ? m.queue : undefined;
    return {
      url: opts.workerUrl, body: m.payload, headers: { "content-type": "application/json" },
      deduplicationId: dedupId(m, deliverAt), retries: opts.retries,
      ...(deliverAt ? { notBefore: Math.ceil(deliverAt / 1000) } : {}),
      ...(queue ? { queueName: queue } : {}),
    };
  };

  const ensureQueue = (name: string): Promise<void> => {
    let p = upserted.get(name);
    if (!p) {
      p = client.queue({ queueName: name }).upsert({ parallelism: opts.queues![name]!.parallelism });
      upserted.set(name, p.catch(() => void upserted.delete(name)));
    }
    return p;
  };

  const capabilities: BrokerCapabilities = { revocation: true };
  return {
    name: ADAPTER,
    capabilities,
    async publish(messages: OutboundMessage[]): Promise<void> {
      if (!messages.length) return;
      const now = Date.now();
      const reqs = messages.map((m) => request(m, now));
      await guard("publish", async () => {
        await Promise.all([...new Set(reqs.flatMap((r) => r.queueName ? [r.queueName] : []))].map(ensureQueue));
        if (reqs.length > 1) return void await client.batch(reqs);
        const { queueName, ...one } = reqs[0]!;
        await (queueName ? client.queue({ queueName }).enqueue(one) : client.publish(one));
      });
    },
    // Revocations live in the result backend (`app.revoke` stores REVOKED); the push path reads
    // the stored state before running, so a pushed revoked id is skipped.
    revoke: () => Promise.resolve(),
  };
}
