/**
 * Queues and flow-control keys of the local QStash server: at most `parallelism` deliveries run
 * at a time per queue (its settings, created with parallelism 1 on first use, as QStash) or per
 * flow-control key; a message keeps its slot through its retries, so a parallelism-1 queue is FIFO.
 * @module
 */
import type { Clock } from "./clock.ts";
import type { Message, Queue } from "./types.ts";

/** Queue settings and the slots in use. */
export class Slots {
  readonly queues = new Map<string, Queue>();
  private readonly busy = new Map<string, number>();

  constructor(private readonly clock: Clock) {}

  /** Queue settings (created with parallelism 1 on first use). */
  queue(name: string): Queue {
    let q = this.queues.get(name);
    if (!q) {
      const now = this.clock.now();
      this.queues.set(name, q = { name, parallelism: 1, paused: false, createdAt: now, updatedAt: now });
    }
    return q;
  }

  /** Give `msg` a slot if its queue or key has one free (always, for a message with neither). */
  take(msg: Message): boolean {
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

  /** Free the slot `msg` holds, if any. */
  release(msg: Message): void {
    if (!msg.slot) return;
    const n = (this.busy.get(msg.slot) ?? 1) - 1;
    if (n > 0) this.busy.set(msg.slot, n);
    else this.busy.delete(msg.slot);
    msg.slot = undefined;
  }
}
