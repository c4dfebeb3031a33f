import { deadLetterLimits, type DeadLetter, type DeadLetterLimits } from "../../src/ports.ts";

/**
 * The memory broker's dead-letter list, bounded like the Redis one: at most `max` entries
 * (the oldest go first) and none older than `ttlSeconds`. Each entry keeps the message it
 * came from (`T`), so a redrive restores its id and priority.
 */
export class DeadLetterList<T> {
  private entries: { entry: DeadLetter; msg: T; at: number }[] = []; // oldest first
  private readonly max: number;
  private readonly ttlMs: number;

  constructor(limits: DeadLetterLimits | undefined, private readonly now: () => number) {
    const l = deadLetterLimits(limits);
    this.max = l.max;
    this.ttlMs = l.ttlSeconds * 1000;
  }

  add(entry: Omit<DeadLetter, "at">, msg: T): void {
    const now = this.now();
    this.entries.push({ entry: { ...entry, at: new Date(now).toISOString() }, msg, at: now });
    if (this.entries.length > this.max) this.entries.splice(0, this.entries.length - this.max);
    this.expire(now);
  }

  /** The newest `limit` entries, newest first. */
  newest(limit: number): DeadLetter[] {
    this.expire(this.now());
    return limit > 0 ? this.entries.slice(-limit).reverse().map((e) => e.entry) : [];
  }

  /** Remove and return up to `limit` messages (oldest first) whose entry matches. */
  take(limit: number, match: (e: DeadLetter) => boolean): T[] {
    this.expire(this.now());
    const out: T[] = [];
    this.entries = this.entries.filter((e) => {
      if (out.length >= limit || !match(e.entry)) return true;
      out.push(e.msg);
      return false;
    });
    return out;
  }

  get length(): number {
    return this.entries.length;
  }

  private expire(now: number): void {
    let n = 0;
    while (n < this.entries.length && this.entries[n].at < now - this.ttlMs) n++;
    if (n) this.entries.splice(0, n);
  }
}
