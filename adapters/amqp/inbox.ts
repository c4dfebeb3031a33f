/**
 * Messages this broker holds unacked: pushed to an idle wait's consumers or pulled by `claim`
 * (`pending`), and handed to the core (`claimed`, by delivery tag). Tags carry the connection
 * epoch: a message of a lost connection is forgotten, since RabbitMQ has requeued it.
 * @module
 */
import type { Message } from "amqplib";
import type { Delivery } from "../../src/ports.ts";
import { fromWire, type IncomingAmqp } from "./wire.ts";

interface Held {
  msg: Message;
  epoch: number;
  queue: string;
}

/** Pending and claimed messages of one broker. */
export class Inbox {
  private pending: Held[] = [];
  private readonly claimed = new Map<string, Held>();

  add(msg: Message, epoch: number, queue: string): void {
    this.pending.push({ msg, epoch, queue });
  }

  /** True when a pending message of `queues` waits. */
  has(queues: string[]): boolean {
    return this.pending.some((h) => queues.includes(h.queue));
  }

  /** Pending messages of `queue`. */
  count(queue: string): number {
    return this.pending.filter((h) => h.queue === queue).length;
  }

  /** Forget the pending messages (their connection is gone). */
  clear(): void {
    this.pending = [];
  }

  /** Hand up to `max` pending messages of `queues` (in that order) of connection `epoch` to the core. */
  take(queues: string[], max: number, epoch: number): Delivery[] {
    const out: Delivery[] = [];
    const taken = new Set<Held>();
    for (const queue of queues) {
      for (const h of this.pending) {
        if (out.length >= max) break;
        if (h.queue !== queue || h.epoch !== epoch) continue;
        const tag = `${h.epoch}.${h.msg.fields.deliveryTag}`;
        this.claimed.set(tag, h);
        taken.add(h);
        out.push({ tag, queue, priority: h.msg.properties.priority ?? 0, payload: fromWire(h.msg as IncomingAmqp, tag, queue), redelivered: h.msg.fields.redelivered });
      }
    }
    this.pending = this.pending.filter((h) => !taken.has(h) && h.epoch === epoch);
    return out;
  }

  /** The message behind a claimed tag, if it belongs to connection `epoch`; the tag is forgotten either way. */
  settle(tag: string, epoch: number): Message | null {
    const h = this.claimed.get(tag);
    this.claimed.delete(tag);
    return h && h.epoch === epoch ? h.msg : null;
  }
}
