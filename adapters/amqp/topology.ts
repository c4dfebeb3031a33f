/**
 * Queues and exchanges, declared the way kombu declares Celery's: for a queue `q`, a durable
 * direct exchange `q` (the default queue's is `celery`), a durable queue `q` bound to it with
 * routing key `q`, and `x-max-priority` when priorities are configured. Producers publish to the
 * default exchange with routing key `q`, as Celery 5.2.6 does for direct queues.
 *
 * ETA: a message that is not due yet waits in a delay queue `<q>.celeriac-delay.<ms>` whose
 * `x-message-ttl` is its delay rounded up to a step, and which dead-letters expired messages
 * into `q` through the default exchange. RabbitMQ holds the message (durable, on disk), not the
 * worker; every message of one delay queue has the same TTL, so FIFO order is expiry order.
 * @module
 */
import type { Channel, Options } from "amqplib";

/** The delay a message waits: `ms` rounded up to 100 ms (≤ 10 s), 1 s (≤ 10 min), 1 min (≤ 1 day), else 1 h. */
export function delayStep(ms: number): number {
  const step = ms <= 10_000 ? 100 : ms <= 600_000 ? 1000 : ms <= 86_400_000 ? 60_000 : 3_600_000;
  return Math.max(step, Math.ceil(ms / step) * step);
}

/** Declarations made on one session's channel, each sent once per connection. */
export class Topology {
  private readonly done = new Map<string, Promise<unknown>>();

  constructor(private readonly ch: Channel, private readonly maxPriority?: number) {}

  private get queueOptions(): Options.AssertQueue {
    const args = this.maxPriority ? { "x-max-priority": this.maxPriority } : undefined;
    return { durable: true, autoDelete: false, exclusive: false, arguments: args };
  }

  /** Declare `q` like kombu: exchange, queue, binding. */
  ensure(q: string): Promise<unknown> {
    return this.once(`q:${q}`, async () => {
      await this.ch.assertExchange(q, "direct", { durable: true, autoDelete: false });
      await this.ch.assertQueue(q, this.queueOptions);
      await this.ch.bindQueue(q, q, q);
    });
  }

  /** Ready (not delivered) messages of `q`. */
  async count(q: string): Promise<number> {
    await this.ensure(q);
    return (await this.ch.assertQueue(q, this.queueOptions)).messageCount;
  }

  /** Declare the delay queue for `q` and `step` ms; resolves to its name. */
  async delay(q: string, step: number): Promise<string> {
    const name = `${q}.celeriac-delay.${step}`;
    this.done.set(`d:${name}`, Promise.resolve());
    await this.ensure(q); // the target must exist when messages expire into it
    // Declared again on every use: that restarts x-expires, so a queue in use is never removed.
    await this.ch.assertQueue(name, {
      durable: true,
      arguments: { "x-message-ttl": step, "x-dead-letter-exchange": "", "x-dead-letter-routing-key": q, "x-expires": step * 2 + 60_000 },
    });
    return name;
  }

  /** Every queue and exchange name declared so far (for cleanup in tests and tools). */
  names(): string[] {
    return [...this.done.keys()].map((k) => k.slice(2));
  }

  /** A plain durable queue (the dead-letter list). */
  plain(q: string): Promise<unknown> {
    return this.once(`p:${q}`, () => this.ch.assertQueue(q, { durable: true }));
  }

  private once(key: string, first: () => Promise<unknown>): Promise<unknown> {
    let p = this.done.get(key);
    if (!p) {
      this.done.set(key, p = first());
      p.catch(() => this.done.delete(key));
    }
    return p;
  }
}
