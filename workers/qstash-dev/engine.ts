/**
 * The delivery engine of the local QStash server: it keeps the messages (./store.ts) until
 * `notBefore`, starts them as slots free (./slots.ts), delivers them signed over real HTTP with
 * retries (./delivery.ts), moves exhausted or non-retryable ones to the DLQ (./dlq.ts) and sends
 * (failure) callbacks as signed messages.
 * @module
 */
import { realClock, type Clock } from "./clock.ts";
import { attemptOnce, callbackMessage, nextStep, type Answer } from "./delivery.ts";
import { DeadLetterQueue } from "./dlq.ts";
import { Slots } from "./slots.ts";
import { MessageStore } from "./store.ts";
import type { EngineStats, Message, QStashDevOptions, Queue } from "./types.ts";

export type { EngineStats } from "./types.ts";

/** Messages, queues, DLQ and deduplication ids of one server. */
export class Engine {
  readonly clock: Clock;
  readonly messages = new MessageStore();
  readonly dlq = new DeadLetterQueue();
  readonly stats: EngineStats = { published: 0, attempts: 0, delivered: 0, retries: 0, deadLettered: 0 };
  /** Queue settings by name. */
  readonly queues: Map<string, Queue>;
  private readonly slots: Slots;
  private readonly ready: Message[] = [];
  private readonly idleWaiters: (() => void)[] = [];
  private inFlight = 0;

  constructor(readonly opts: QStashDevOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.slots = new Slots(this.clock);
    this.queues = this.slots.queues;
  }

  /** A fresh id with QStash's prefix. */
  id(prefix: string): string {
    return `${prefix}_${crypto.randomUUID().replace(/-/g, "").slice(0, 24)}`;
  }

  /** Accept a message; a known deduplication id within its window returns the first message's id. */
  add(msg: Message): { messageId: string; deduplicated?: true } {
    const first = this.messages.seen(msg, this.clock.now(), this.opts.dedupWindowMs ?? 600_000);
    if (first) return { messageId: first, deduplicated: true };
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
    this.slots.release(msg);
    return true;
  }

  /** Resolves once no delivery is in flight (what remains waits for its time, a retry or a free slot). */
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
    return this.slots.queue(name);
  }

  /** Start whatever can start now. */
  pump(): void {
    for (let i = 0; i < this.ready.length;) {
      const msg = this.ready[i]!;
      if (!msg.slot && !this.slots.take(msg)) {
        i++;
        continue;
      }
      this.ready.splice(i, 1);
      void this.attempt(msg);
    }
    if (!this.inFlight) for (const r of this.idleWaiters.splice(0)) r();
  }

  /** The DLQ entry's message published again under a new id (`POST /v2/dlq/retry`). */
  retryDead(dlqId: string): string | null {
    const msg = this.dlq.revive(dlqId, this.id("msg"), this.clock.now());
    return msg ? this.add(msg).messageId : null;
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

  private async attempt(msg: Message): Promise<void> {
    this.inFlight++;
    this.stats.attempts++;
    const answer = await attemptOnce(msg, this.opts);
    this.inFlight--;
    if (!this.messages.has(msg.messageId)) return this.pump(); // cancelled meanwhile
    const step = nextStep(msg, answer, this.opts);
    if (step === "done") {
      this.stats.delivered++;
      this.finish(msg);
      if (msg.callback) this.callback(msg.callback, msg, answer);
    } else if (step === "dead") {
      this.stats.deadLettered++;
      this.finish(msg);
      const dlqId = this.dlq.put(msg, this.clock.now(), answer.status, answer.header, answer.body);
      if (msg.failureCallback) this.callback(msg.failureCallback, msg, answer, dlqId);
    } else {
      this.stats.retries++;
      msg.retried++;
      this.due(msg, this.clock.now() + step);
    }
    this.pump();
  }

  private finish(msg: Message): void {
    this.messages.delete(msg.messageId);
    this.slots.release(msg);
  }

  private callback(url: string, src: Message, a: Answer, dlqId?: string): void {
    this.add(callbackMessage(url, src, a, { messageId: this.id("msg"), dlqId }, this.clock.now(), this.opts));
  }
}
