/**
 * The delivery engine of the local QStash server: holds messages until `notBefore`, runs at
 * most `parallelism` at a time per queue or flow-control key (a message keeps its slot through
 * its retries, so a parallelism-1 queue is FIFO), delivers them signed over real HTTP, retries
 * non-2xx answers with QStash's backoff, moves exhausted or `489 + Upstash-NonRetryable-Error`
 * messages to the DLQ and sends (failure) callbacks as signed messages.
 * @module
 */
import { realClock, type Clock } from "./clock.ts";
import { callbackBody, deliver } from "./delivery.ts";
import type { DlqEntry, Message, QStashDevOptions, Queue } from "./types.ts";

/** QStash's default backoff before retry `n` (1-based), in ms: `min(86400, e^(2.5n))` s. */
export const backoffMs = (n: number): number => Math.min(86_400, Math.exp(2.5 * n)) * 1000;

/** What the engine counted (for benchmarks and tests). */
export interface EngineStats {
  published: number;
  attempts: number;
  delivered: number;
  retries: number;
  deadLettered: number;
}

/** Messages, queues, DLQ and deduplication ids of one server. */
export class Engine {
  readonly clock: Clock;
  readonly messages = new Map<string, Message>();
  readonly dlq = new Map<string, DlqEntry>();
  readonly queues = new Map<string, Queue>();
  readonly stats: EngineStats = { published: 0, attempts: 0, delivered: 0, retries: 0, deadLettered: 0 };
  private readonly dedup = new Map<string, { messageId: string; until: number }>();
  private readonly ready: Message[] = [];
  private readonly busy = new Map<string, number>();
  private readonly idleWaiters: (() => void)[] = [];
  private inFlight = 0;
  private seq = 0;

  constructor(readonly opts: QStashDevOptions = {}) {
    this.clock = opts.clock ?? realClock;
  }

  /** A fresh id with QStash's prefix. */
  id(prefix: string): string {
    return `${prefix}_${crypto.randomUUID().replace(/-/g, "").slice(0, 24)}`;
  }

  /** Accept a message; a known deduplication id within its window returns the first message's id. */
  add(msg: Message): { messageId: string; deduplicated?: true } {
    const now = this.clock.now();
    if (msg.dedupKey) {
      const seen = this.dedup.get(msg.dedupKey);
      if (seen && seen.until > now) return { messageId: seen.messageId, deduplicated: true };
      this.dedup.set(msg.dedupKey, { messageId: msg.messageId, until: now + (this.opts.dedupWindowMs ?? 600_000) });
      if (this.dedup.size > 10_000) for (const [k, v] of this.dedup) if (v.until <= now) this.dedup.delete(k);
    }
    this.stats.published++;
    this.messages.set(msg.messageId, msg);
    this.due(msg, msg.notBefore);
    return { messageId: msg.messageId };
  }

  /** Remove a message that has not been delivered yet. */
  cancel(id: string): boolean {
    const msg = this.messages.get(id);
    if (!msg) return false;
    msg.unwake?.();
    this.messages.delete(id);
    const i = this.ready.indexOf(msg);
    if (i >= 0) this.ready.splice(i, 1);
    this.release(msg);
    return true;
  }

  /**
   * Resolves once no delivery is in flight: what remains waits for its time, a retry or a free
   * queue slot.
   */
  idle(): Promise<void> {
    if (!this.inFlight) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /** Count `work` as in flight until it settles (so `idle()` waits for it). */
  track(work: Promise<unknown>): void {
    this.inFlight++;
    void work.catch(() => {}).finally(() => {
      this.inFlight--;
      this.pump();
    });
  }

  /** Queue settings (created with parallelism 1 on first use, as QStash). */
  queue(name: string): Queue {
    let q = this.queues.get(name);
    if (!q) {
      const now = this.clock.now();
      this.queues.set(name, q = { name, parallelism: 1, paused: false, createdAt: now, updatedAt: now });
    }
    return q;
  }

  /** Start whatever can start now. */
  pump(): void {
    for (let i = 0; i < this.ready.length;) {
      const msg = this.ready[i]!;
      if (!msg.slot && !this.takeSlot(msg)) {
        i++;
        continue;
      }
      this.ready.splice(i, 1);
      void this.attempt(msg);
    }
    if (!this.inFlight) for (const r of this.idleWaiters.splice(0)) r();
  }

  private due(msg: Message, at: number): void {
    msg.unwake?.();
    msg.unwake = undefined;
    if (at <= this.clock.now()) {
      this.ready.push(msg);
      return this.pump();
    }
    msg.unwake = this.clock.wake(at, () => {
      msg.unwake = undefined;
      if (!this.messages.has(msg.messageId)) return;
      this.ready.push(msg);
      this.pump();
    });
  }

  private takeSlot(msg: Message): boolean {
    const key = msg.queueName ? `q:${msg.queueName}` : msg.flowControlKey ? `f:${msg.flowControlKey}` : null;
    if (!key) return true;
    const q = msg.queueName ? this.queue(msg.queueName) : null;
    if (q?.paused) return false;
    const limit = q ? q.parallelism : msg.parallelism ?? Infinity;
    const n = this.busy.get(key) ?? 0;
    if (n >= limit) return false;
    this.busy.set(key, n + 1);
    msg.slot = key;
    return true;
  }

  private release(msg: Message): void {
    if (!msg.slot) return;
    const n = (this.busy.get(msg.slot) ?? 1) - 1;
    if (n > 0) this.busy.set(msg.slot, n);
    else this.busy.delete(msg.slot);
    msg.slot = undefined;
  }

  private async attempt(msg: Message): Promise<void> {
    this.inFlight++;
    this.stats.attempts++;
    let status = 0;
    let header: Record<string, string[]> = {};
    let body = "";
    try {
      const res = await deliver(msg, this.opts);
      status = res.status;
      res.headers.forEach((v, k) => void (header[k] = [v]));
      body = (await res.text()).slice(0, 100_000);
    } catch (err) {
      body = `delivery failed: ${(err as Error)?.message ?? err}`;
      header = {};
    }
    this.inFlight--;
    if (!this.messages.has(msg.messageId)) return this.pump(); // cancelled meanwhile
    if (status >= 200 && status < 300) {
      this.stats.delivered++;
      this.finish(msg);
      if (msg.callback) this.callback(msg.callback, msg, status, header, body);
    } else if (status === 489 && header["upstash-nonretryable-error"]?.[0] === "true" || msg.retried >= msg.maxRetries) {
      this.deadLetter(msg, status, header, body);
    } else {
      this.stats.retries++;
      msg.retried++;
      const after = Number(header["retry-after"]?.[0]);
      const wait = Number.isFinite(after) && after > 0 ? Math.min(after, 86_400) * 1000 : backoffMs(msg.retried);
      this.due(msg, this.clock.now() + wait * (this.opts.retryDelayScale ?? 1));
    }
    this.pump();
  }

  private finish(msg: Message): void {
    this.messages.delete(msg.messageId);
    this.release(msg);
  }

  private deadLetter(msg: Message, status: number, header: Record<string, string[]>, body: string): void {
    this.stats.deadLettered++;
    this.finish(msg);
    const dlqId = `${this.clock.now()}-${this.seq++}`;
    this.dlq.set(dlqId, { dlqId, message: msg, responseStatus: status, responseHeader: header, responseBody: body });
    if (msg.failureCallback) this.callback(msg.failureCallback, msg, status, header, body, dlqId);
  }

  private callback(url: string, src: Message, status: number, header: Record<string, string[]>, body: string, dlqId?: string): void {
    const payload = callbackBody(src, status, header, body, dlqId);
    const now = this.clock.now();
    this.add({
      messageId: this.id("msg"), url, method: "POST", header: { "Content-Type": ["application/json"] },
      body: new TextEncoder().encode(JSON.stringify(payload)), maxRetries: this.opts.defaultRetries ?? 3, retried: 0,
      notBefore: now, createdAt: now, timeoutMs: this.opts.deliveryTimeoutMs ?? 30_000,
    });
  }

  /** The DLQ entry's message published again under a new id (`POST /v2/dlq/retry`). */
  retryDead(dlqId: string): string | null {
    const e = this.dlq.get(dlqId);
    if (!e) return null;
    this.dlq.delete(dlqId);
    const now = this.clock.now();
    const msg: Message = { ...e.message, messageId: this.id("msg"), retried: 0, notBefore: now, createdAt: now, dedupKey: undefined };
    delete msg.slot;
    delete msg.unwake;
    return this.add(msg).messageId;
  }
}
