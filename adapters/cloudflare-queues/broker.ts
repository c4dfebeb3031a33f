/**
 * Cloudflare Queues as a push broker: `publish` sends through producer bindings with
 * `sendBatch` (≤ 100 messages and ≤ 256 KB per call) and turns ETA/countdown into
 * `delaySeconds`, capped at the platform's 12 h; the consumer re-delays what is still early.
 * @module
 */
import { AdapterError, ConfigError } from "../../src/errors.ts";
import { decodeIncoming } from "../../src/decode.ts";
import type { TaskMessage } from "../../src/types.ts";
import type { Broker, BrokerCapabilities, OutboundMessage } from "../../src/ports.ts";

/** The longest `delaySeconds` Cloudflare Queues accepts (12 h). */
export const MAX_DELAY_SECONDS = 43_200;
/** Messages per `sendBatch` call. */
export const MAX_BATCH_MESSAGES = 100;
/** Bytes per `sendBatch` call (platform limit 256 KB; some room for per-message overhead). */
export const MAX_BATCH_BYTES = 250_000;
/** Bytes per message (platform limit 128 KB). */
export const MAX_MESSAGE_BYTES = 128_000;

/** One entry of `sendBatch` (the subset of workerd's `MessageSendRequest` used here). */
export interface QueueSendRequest {
  body: unknown;
  contentType?: "text" | "json" | "bytes" | "v8";
  delaySeconds?: number;
}

/** A Queue producer binding (`env.JOBS`), as workerd passes it. */
export interface QueueProducer {
  send(body: unknown, options?: { contentType?: QueueSendRequest["contentType"]; delaySeconds?: number }): Promise<unknown>;
  sendBatch(messages: Iterable<QueueSendRequest>, options?: { delaySeconds?: number }): Promise<unknown>;
}

/** Options of `cloudflareQueuesBroker`. */
export interface CloudflareQueuesBrokerOptions {
  /** The producer for every Celery queue, or one per Celery queue name (`{ celery: env.JOBS }`). */
  queues: QueueProducer | Record<string, QueueProducer>;
  /** Epoch ms now (default `Date.now`); turns `notBefore` into `delaySeconds`. */
  now?: () => number;
}

const encoder = new TextEncoder();

/** The broker; see the module doc. */
export class CloudflareQueuesBroker implements Broker {
  readonly name = "cloudflare-queues";
  readonly capabilities: BrokerCapabilities = { revocation: false };
  /** Other producers may send to these queues: Python Celery's zlib/gzip and protocol 1 messages are decoded (src/decode.ts). */
  readonly decode: (payload: string) => Promise<TaskMessage> = decodeIncoming;
  private readonly opts: CloudflareQueuesBrokerOptions;

  constructor(opts: CloudflareQueuesBrokerOptions) {
    if (!opts?.queues) throw new ConfigError("[cloudflare-queues] queues: pass a Queue producer binding (env.JOBS)");
    this.opts = opts;
  }

  /** The producer of a Celery queue. */
  producer(queue: string): QueueProducer {
    const q = this.opts.queues;
    if (typeof (q as QueueProducer).sendBatch === "function") return q as QueueProducer;
    const p = (q as Record<string, QueueProducer>)[queue];
    if (!p) throw new ConfigError(`[cloudflare-queues] no producer binding for queue ${queue} (known: ${Object.keys(q).join(", ")})`);
    return p;
  }

  /** Seconds to delay a message (0–12 h) so it arrives at or before `notBefore`. */
  delaySeconds(notBefore: number | undefined): number {
    if (notBefore == null) return 0;
    const s = Math.ceil((notBefore - (this.opts.now ?? Date.now)()) / 1000);
    return Math.min(MAX_DELAY_SECONDS, Math.max(0, s));
  }

  async publish(messages: OutboundMessage[]): Promise<void> {
    const byProducer = new Map<QueueProducer, { req: QueueSendRequest; bytes: number }[]>();
    for (const m of messages) {
      const bytes = encoder.encode(m.payload).length;
      if (bytes > MAX_MESSAGE_BYTES) {
        throw new AdapterError(this.name, `message ${m.id} is ${bytes} bytes; Cloudflare Queues takes ≤ 128 KB`, { retryable: false });
      }
      const p = this.producer(m.queue);
      const list = byProducer.get(p) ?? [];
      list.push({ req: { body: m.payload, contentType: "text", delaySeconds: this.delaySeconds(m.notBefore) }, bytes });
      byProducer.set(p, list);
    }
    const calls: Promise<unknown>[] = [];
    for (const [p, list] of byProducer) for (const chunk of chunks(list)) calls.push(p.sendBatch(chunk));
    const failed = (await Promise.allSettled(calls)).find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw new AdapterError(this.name, `sendBatch failed: ${(failed.reason as Error)?.message ?? failed.reason}`, { cause: failed.reason });
  }
}

// Split into sendBatch calls of ≤ 100 messages and ≤ MAX_BATCH_BYTES.
function chunks(list: { req: QueueSendRequest; bytes: number }[]): QueueSendRequest[][] {
  const out: QueueSendRequest[][] = [];
  let cur: QueueSendRequest[] = [];
  let size = 0;
  for (const { req, bytes } of list) {
    if (cur.length && (cur.length === MAX_BATCH_MESSAGES || size + bytes > MAX_BATCH_BYTES)) {
      out.push(cur);
      cur = [];
      size = 0;
    }
    cur.push(req);
    size += bytes;
  }
  if (cur.length) out.push(cur);
  return out;
}

/** A Cloudflare Queues broker. */
export function cloudflareQueuesBroker(opts: CloudflareQueuesBrokerOptions): CloudflareQueuesBroker {
  return new CloudflareQueuesBroker(opts);
}
