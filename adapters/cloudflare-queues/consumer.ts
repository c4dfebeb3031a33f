/**
 * The `queue(batch, env, ctx)` side: run each message of a Cloudflare Queues batch with the
 * core and settle it with `msg.ack()` or `msg.retry({ delaySeconds })`. A malformed message is
 * acked and kept as a dead-letter record, never a crash; a broker/backend failure retries only
 * that message.
 * @module
 */
import { decodeIncoming } from "../../src/decode.ts";
import { toOutbound } from "../../src/message.ts";
import type { Worker } from "../../src/worker/worker.ts";
import { MAX_DELAY_SECONDS, type QueueProducer } from "./broker.ts";

/** A delivered message (the subset of workerd's `Message` used here). */
export interface QueueMessage {
  readonly id: string;
  readonly timestamp: Date;
  readonly body: unknown;
  /** 1 on the first delivery. */
  readonly attempts: number;
  ack(): void;
  retry(options?: { delaySeconds?: number }): void;
}

/** A consumer batch (the subset of workerd's `MessageBatch` used here). */
export interface QueueBatch {
  readonly queue: string;
  readonly messages: readonly QueueMessage[];
}

/** What the consumer keeps of a message it could not run. */
export interface QueueDeadLetter {
  id: string;
  queue: string;
  reason: string;
  body: string;
  /** ISO instant. */
  at: string;
}

/** Options of `consumeBatch`. */
export interface ConsumeOptions {
  /** Messages run at the same time (default 10). */
  concurrency?: number;
  /**
   * Where malformed/unrunnable messages go: a Queue producer (your DLQ), or a function.
   * Default: a record in the result backend under `celeriac-dead-letter-<message id>` (7 days).
   */
  deadLetters?: QueueProducer | ((letter: QueueDeadLetter) => Promise<void> | void);
  /** Delay of `msg.retry` after a broker/backend failure (default 5 s · 2^(attempts-1), ≤ 12 h). */
  retryDelaySeconds?: (attempts: number) => number;
}

/** What a batch did. */
export interface ConsumeReport {
  acked: number;
  retried: number;
  redelayed: number;
  deadLettered: number;
}

const DEAD_LETTER_TTL_MS = 7 * 86_400_000;

function bodyText(body: unknown): string {
  if (typeof body === "string") return body;
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return new TextDecoder().decode(body as ArrayBuffer);
  return JSON.stringify(body) ?? "";
}

/** Run a batch with `worker` (its app's broker is the one re-delayed messages go back to). */
export async function consumeBatch(worker: Worker, batch: QueueBatch, opts: ConsumeOptions = {}): Promise<ConsumeReport> {
  const report: ConsumeReport = { acked: 0, retried: 0, redelayed: 0, deadLettered: 0 };
  const app = worker.app;
  const backoff = opts.retryDelaySeconds ?? ((n: number) => 5 * 2 ** Math.max(0, n - 1));
  const one = async (msg: QueueMessage): Promise<void> => {
    const payload = bodyText(msg.body);
    try {
      const exec = await worker.handle(payload, { redelivered: msg.attempts > 1 });
      const d = exec.disposition;
      if (d.kind === "requeue") {
        // Not due yet (an ETA past the 12 h delay cap, a rate limit): a fresh copy for later.
        const out = toOutbound(await decodeIncoming(payload));
        out.notBefore = app.clock.now() + d.delayMs;
        await app.broker.publish([out]);
        report.redelayed++;
      } else if (d.kind === "deadLetter") {
        const letter = { id: msg.id, queue: batch.queue, reason: d.reason, body: payload, at: new Date(app.clock.now()).toISOString() };
        await keep(letter);
        report.deadLettered++;
      }
      msg.ack();
      report.acked++;
    } catch {
      msg.retry({ delaySeconds: Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.round(backoff(msg.attempts)))) });
      report.retried++;
    }
  };
  const keep = async (letter: QueueDeadLetter): Promise<void> => {
    const sink = opts.deadLetters;
    if (typeof sink === "function") await sink(letter);
    else if (sink) await sink.send(JSON.stringify(letter), { contentType: "text" });
    else await app.backend.setIfAbsent(`celeriac-dead-letter-${letter.id}`, JSON.stringify(letter), DEAD_LETTER_TTL_MS);
  };
  const queue = [...batch.messages];
  const lanes = Array.from({ length: Math.min(queue.length, Math.max(1, opts.concurrency ?? 10)) }, async () => {
    for (let m = queue.shift(); m; m = queue.shift()) await one(m);
  });
  await Promise.all(lanes);
  return report;
}
