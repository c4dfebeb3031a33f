/**
 * The dead-letter queue of the local QStash server: messages that failed for good, by `dlqId`,
 * with the last response; `revive` gives the message back for publishing again under a new id.
 * @module
 */
import type { DlqEntry, Message } from "./types.ts";

/** DLQ entries by id (a `Map`, as `GET /v2/dlq` lists them). */
export class DeadLetterQueue extends Map<string, DlqEntry> {
  private seq = 0;

  /** Keep `message` with its last response; returns the new `dlqId`. */
  put(message: Message, now: number, responseStatus: number, responseHeader: Record<string, string[]>, responseBody: string): string {
    const dlqId = `${now}-${this.seq++}`;
    this.set(dlqId, { dlqId, message, responseStatus, responseHeader, responseBody });
    return dlqId;
  }

  /** Take an entry out; its message as new under `messageId`, due `now` (no retries used, no dedup id). */
  revive(dlqId: string, messageId: string, now: number): Message | null {
    const e = this.get(dlqId);
    if (!e) return null;
    this.delete(dlqId);
    const msg: Message = { ...e.message, messageId, retried: 0, notBefore: now, createdAt: now, dedupKey: undefined };
    delete msg.slot;
    delete msg.unwake;
    return msg;
  }
}
