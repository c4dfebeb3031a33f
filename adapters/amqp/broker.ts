import { Buffer } from "node:buffer";
import type { Channel, Message } from "amqplib";
import { decodeIncoming } from "../../src/decode.ts";
import type { TaskMessage } from "../../src/types.ts";
import { deadLetterLimits, type ClaimOptions, type DeadLetter, type DeadLetterLimits, type Delivery, type OutboundMessage, type PullBroker, type RedriveOptions, type WaitForWorkOptions } from "../../src/ports.ts";
import { DeadLetterQueue } from "./dead-letters.ts";
import { Inbox } from "./inbox.ts";
import { Wake } from "../../src/util/wake.ts";
import { ADAPTER, guard } from "./errors.ts";
import { Link, type Session } from "./link.ts";
import { delayStep, Topology } from "./topology.ts";
import { republish, toWire, type IncomingAmqp, type WireMessage } from "./wire.ts";

/** Options of `amqpBroker`. */
export interface AmqpBrokerOptions {
  /** Put in front of every queue and exchange name (isolation on a shared vhost; default none). */
  prefix?: string;
  /** Messages RabbitMQ may push to an idle worker's consumers (`basic.qos`, channel-wide; default 10). Claims pull at most the worker's free slots. */
  prefetch?: number;
  /** Declare queues with `x-max-priority` (Celery's `task_queue_max_priority`); AMQP consumes higher priorities first. */
  maxPriority?: number;
  /** Deadline of every operation in ms (default 10 000) → retryable `AdapterError`. */
  timeoutMs?: number;
  /** Longest idle wait before the worker looks again (default 300 000 ms). */
  maxIdleMs?: number;
  /** Clock in epoch ms (tests). */
  now?: () => number;
  /** Bounds of the dead-letter list (default 10 000 entries, 7 days). */
  deadLetters?: DeadLetterLimits;
}

/**
 * A RabbitMQ broker (amqplib) on kombu's AMQP conventions. Messages are pushed to consumers
 * (`basic.consume`, manual ack, `prefetch` = concurrency) into a local buffer that `claim`
 * takes from; an idle worker waits for the next push. RabbitMQ has no visibility timeout: a
 * claimed message comes back when its connection dies (kill -9 included), marked redelivered.
 */
export class AmqpBroker implements PullBroker {
  readonly name = ADAPTER;
  readonly capabilities = { revocation: false };
  /** Python Celery writes these queues too: its zlib/gzip and protocol 1 messages are decoded (src/decode.ts). */
  readonly decode: (payload: string) => Promise<TaskMessage> = decodeIncoming;
  private readonly link: Link;
  private readonly opts: AmqpBrokerOptions;
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private readonly arrived = new Wake();
  private readonly inbox = new Inbox();
  private topo: { epoch: number; t: Topology } | null = null;
  private readonly dead: DeadLetterQueue;

  constructor(url: string, opts: AmqpBrokerOptions = {}) {
    this.opts = opts;
    this.prefix = opts.prefix ?? "";
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.dead = new DeadLetterQueue(`${this.prefix}celeriac.dead`, deadLetterLimits(opts.deadLetters), () => this.now());
    this.link = new Link(url, {
      timeoutMs: this.timeoutMs,
      onChange: (s) => {
        if (s) return;
        // Lost: RabbitMQ requeues everything this connection held; forget it and wake the worker.
        this.inbox.clear();
        this.topo = null;
        this.arrived.fire();
      },
    });
  }

  private q(queue: string): string {
    return this.prefix + queue;
  }

  private async session(): Promise<{ s: Session; t: Topology }> {
    const s = await this.link.session();
    if (this.topo?.epoch !== s.epoch) this.topo = { epoch: s.epoch, t: new Topology(s.pub, this.opts.maxPriority) };
    return { s, t: this.topo.t };
  }

  /** Send to the default exchange with the queue as routing key (Celery 5.2.6); not yet due → its delay queue. One confirm wait per batch. */
  publish(messages: OutboundMessage[]): Promise<void> {
    if (!messages.length) return Promise.resolve();
    return guard("publish", this.timeoutMs, async () => {
      const { s, t } = await this.session();
      const now = this.now();
      for (const m of messages) {
        const wire = toWire(m.payload, m.id, m.priority);
        const target = this.q(m.queue);
        const wait = m.notBefore != null ? m.notBefore - now : 0;
        if (wait > 0) this.send(s.pub, await t.delay(target, delayStep(wait)), wire);
        else {
          await t.ensure(target);
          this.send(s.pub, target, wire);
        }
      }
      await s.pub.waitForConfirms();
    });
  }

  private send(ch: Channel, queue: string, w: WireMessage): void {
    ch.publish("", queue, Buffer.from(w.content), { persistent: true, ...w.options });
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  /**
   * Take what an idle wait's consumers were pushed, then `basic.get` from the queues in the given
   * order until `max` or they are empty: one atomic pull per message, so concurrent workers never
   * share one and a drain sees everything that is ready.
   */
  async claim(queues: string[], opts: ClaimOptions): Promise<Delivery[]> {
    if (opts.max <= 0 || !queues.length) return [];
    const out = this.inbox.take(queues, opts.max, this.link.live);
    await guard("claim", this.timeoutMs, async () => {
      const { s, t } = await this.session();
      for (const queue of queues) {
        await t.ensure(this.q(queue));
        while (out.length < opts.max) {
          const msg = await s.sub.get(this.q(queue), { noAck: false });
          if (!msg) break;
          this.inbox.add(msg, s.epoch, queue);
          out.push(...this.inbox.take([queue], 1, s.epoch));
        }
      }
    });
    return out;
  }

  /**
   * Idle: consume the queues (`basic.qos` = `prefetch`, channel-wide) until RabbitMQ pushes a
   * message, the connection changes, the idle cap passes or `signal` aborts; then cancel the
   * consumers. Once the cancel is confirmed every pushed message is in the buffer for `claim`.
   */
  async waitForWork(queues: string[], opts: WaitForWorkOptions): Promise<void> {
    if (this.inbox.has(queues)) return;
    const { s, t } = await guard("waitForWork", this.timeoutMs, () => this.session());
    const tags: string[] = [];
    try {
      await guard("waitForWork", this.timeoutMs, async () => {
        await s.sub.prefetch(this.opts.prefetch ?? 10, true);
        for (const queue of queues) {
          await t.ensure(this.q(queue));
          const ok = await s.sub.consume(this.q(queue), (msg) => {
            if (!msg || this.link.live !== s.epoch) return;
            this.inbox.add(msg, s.epoch, queue);
            this.arrived.fire();
          }, { noAck: false });
          tags.push(ok.consumerTag);
        }
      });
      if (!this.inbox.has(queues)) await this.arrived.next(this.opts.maxIdleMs ?? 300_000, opts.signal);
    } finally {
      if (this.link.live === s.epoch) await guard("waitForWork", this.timeoutMs, () => Promise.all(tags.map((tag) => s.sub.cancel(tag)))).catch(() => {});
    }
  }

  /** `basic.ack` after the task (results are stored before, by the core). A stale tag is skipped: RabbitMQ redelivers it. */
  async ack(deliveries: Delivery[]): Promise<void> {
    for (const d of deliveries) {
      const h = this.settle(d);
      if (h) h.ch.ack(h.msg);
    }
  }

  /** Now: `basic.nack` with requeue (back at its place). Later: a copy into a delay queue, then ack. */
  async requeue(d: Delivery, opts: { delayMs: number }): Promise<void> {
    const h = this.settle(d);
    if (!h) return;
    if (opts.delayMs <= 0) return h.ch.nack(h.msg, false, true);
    await guard("requeue", this.timeoutMs, async () => {
      const { s, t } = await this.session();
      this.send(s.pub, await t.delay(this.q(d.queue), delayStep(opts.delayMs)), republish(h.msg as IncomingAmqp));
      await s.pub.waitForConfirms();
    });
    h.ch.ack(h.msg);
  }

  /** Keep `{payload, queue, reason, priority, at}` in the durable queue `<prefix>celeriac.dead`, then ack. */
  async deadLetter(d: Delivery, reason: string): Promise<void> {
    const h = this.settle(d);
    const entry: DeadLetter = { payload: d.payload, queue: d.queue, reason, priority: d.priority, at: new Date(this.now()).toISOString() };
    await guard("deadLetter", this.timeoutMs, async () => {
      const { s, t } = await this.session();
      await this.dead.add(s, t, entry);
    });
    if (h) h.ch.ack(h.msg);
  }

  /** The dead-letter list, newest first (read without consuming it). */
  deadLetters(limit = 100): Promise<DeadLetter[]> {
    if (limit <= 0) return Promise.resolve([]);
    return guard("deadLetters", this.timeoutMs, async () => {
      const { s, t } = await this.session();
      return this.dead.list(s, t, limit);
    });
  }

  /** Put up to `limit` of the oldest dead letters (of `queue` when given) back on their queues. */
  redrive(opts: RedriveOptions): Promise<number> {
    if (opts.limit <= 0) return Promise.resolve(0);
    return guard("redrive", this.timeoutMs, async () => {
      const { s, t } = await this.session();
      return this.dead.redrive(s, t, opts, (q) => this.q(q));
    });
  }

  /** Ready messages of the queue plus those pushed to this broker and not claimed yet. */
  size(queue: string): Promise<number> {
    return guard("size", this.timeoutMs, async () => {
      const { t } = await this.session();
      return (await t.count(this.q(queue))) + this.inbox.count(queue);
    });
  }

  /** The claim behind a tag, with the channel to settle it on; null when its connection is gone. */
  private settle(d: Delivery): { msg: Message; ch: Channel } | null {
    const s = this.link.active;
    const msg = this.inbox.settle(d.tag, s?.epoch ?? -1);
    return s && msg ? { msg, ch: s.sub } : null;
  }

  /** Names of the queues (and same-named exchanges) this broker declared on its current connection. */
  declared(): string[] {
    return this.topo?.t.names() ?? [];
  }

  /** Close the connection: unacked and buffered messages return to their queues. */
  async close(): Promise<void> {
    this.arrived.fire();
    await this.link.close();
  }
}

/** Create a RabbitMQ broker from an `amqp://` / `amqps://` URL (`pyamqp://` is accepted too). */
export function amqpBroker(url: string, opts: AmqpBrokerOptions = {}): AmqpBroker {
  return new AmqpBroker(url.replace(/^py/, ""), opts);
}
