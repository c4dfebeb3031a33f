/**
 * The messages of the local QStash server not yet delivered for good, by id, and the
 * deduplication ids (`Upstash-Deduplication-Id`, `Upstash-Content-Based-Deduplication`) seen
 * within their window.
 * @module
 */
import type { Message } from "./types.ts";

/** Pending messages by id (a `Map`), with the deduplication window. */
export class MessageStore extends Map<string, Message> {
  private readonly dedup = new Map<string, { messageId: string; until: number }>();

  /**
   * The id of the first message with `msg`'s deduplication id when that is still within its
   * window at `now`; otherwise `undefined`, and `msg` opens a window of `windowMs`.
   */
  seen(msg: Message, now: number, windowMs: number): string | undefined {
    if (!msg.dedupKey) return undefined;
    const first = this.dedup.get(msg.dedupKey);
    if (first && first.until > now) return first.messageId;
    this.dedup.set(msg.dedupKey, { messageId: msg.messageId, until: now + windowMs });
    if (this.dedup.size > 10_000) for (const [k, v] of this.dedup) if (v.until <= now) this.dedup.delete(k);
    return undefined;
  }
}
