import { deadLetterLimits, type DeadLetter, type DeadLetterLimits } from "../../src/ports.ts";

/**
 * The memory broker's dead-letter list, bounded like the Redis one: at most `max` entries
 * (the oldest go first) and none older than `ttlSeconds`. Each entry keeps the message it
 * came from (`T`), so a redrive restores its id and priority.
 */
export class DeadLetterList<T> {
  private entries: { entry: DeadLetter; msg: T; at: number }[] = []; // oldest first
  private readonly limits: Required<DeadLetterLimits>;

  constructor(limits: DeadLetterLimits | undefined, private readonly now: () => number) {
    this.limits = deadLetterLimits(limits);
  }

  add(entry: Omit<DeadLetter, "at">, msg: T): void {
    const at = this.now();
    this.live().push({ entry: { ...entry, at: new Date(at).toISOString() }, msg, at });
    this.entries.splice(0, this.entries.length - this.limits.max);
  }

  /** The newest `limit` entries, newest first. */
  newest(limit: number): DeadLetter[] {
    return limit > 0 ? this.live().slice(-limit).reverse().map((e) => e.entry) : [];
  }

  /** Remove and return up to `limit` messages (oldest first) whose entry matches. */
  take(limit: number, match: (e: DeadLetter) => boolean): T[] {
    const out: T[] = [];
    this.entries = this.live().filter((e) => {
      if (out.length >= limit || !match(e.entry)) return true;
      out.push(e.msg);
      return false;
    });
    return out;
  }

  get length(): number {
    return this.entries.length;
  }

  /** The entries, after dropping those older than the TTL (a prefix: they are oldest first). */
  private live(): { entry: DeadLetter; msg: T; at: number }[] {
    const oldest = this.now() - this.limits.ttlSeconds * 1000;
    const n = this.entries.findIndex((e) => e.at >= oldest);
    this.entries.splice(0, n < 0 ? this.entries.length : n);
    return this.entries;
  }
}
