import {
  deadLetterLimits, type BrokerStats, type ClaimOptions, type DeadLetter, type ExtendOptions, type DeadLetterLimits, type Delivery,
  type EventChannel, type OutboundMessage, type PullBroker, type RedriveOptions,
} from "../../src/ports.ts";
import type { TaskMessage } from "../../src/types.ts";
import { parseInstant } from "../../src/util/time.ts";
import { Timeline } from "./timeline.ts";

/** Options of `memoryBroker`. */
export interface MemoryBrokerOptions {
  /** Clock in epoch ms (tests pass a controllable one). */
  now?: () => number;
  /** Bounds of the dead-letter list (default 10 000 entries, 7 days). */
  deadLetters?: DeadLetterLimits;
  /**
   * How the worker decodes what this broker delivers (`Broker.decode`). Default: strict
   * protocol v2 JSON, all celeriac ever sends. Pass `decodeIncoming` (from "celeriac") to run
   * Python Celery's zlib/gzip and protocol 1 messages published here.
   */
  decode?: (payload: string) => Promise<TaskMessage> | TaskMessage;
  /**
   * Celery's events and pidbox channel (`broker.events`): pass `memoryEvents()` to publish and
   * receive them in process. Without it the broker has none (a worker's `events: true` only logs
   * them), which keeps the channel's code out of bundles that never monitor.
   */
  events?: EventChannel;
}

interface Stored {
  id: string;
  queue: string;
  priority: number;
  payload: string;
  redelivered: boolean;
}

// kombu's Redis priority steps: a priority lands in the largest step ≤ it; step 0 goes first.
const STEPS = [0, 3, 6, 9];
const stepOf = (p: number): number => STEPS.filter((s) => s <= p).pop() ?? 0;

/**
 * The embedded in-process broker: the reference every other adapter is held to. Keeps
 * kombu's semantics (priority steps, FIFO per step, visibility timeout with redelivery to the
 * head of the queue, delayed messages, dead letters) without any I/O.
 */
export class MemoryBroker implements PullBroker {
  readonly name = "memory";
  readonly capabilities = { revocation: true };
  /** Celery's events and pidbox, in process: the `events` option (`memoryEvents()`), if given. */
  declare readonly events?: EventChannel;
  /** `opts.decode`, when given. */
  declare readonly decode?: (payload: string) => Promise<TaskMessage> | TaskMessage;
  private declare readonly now: () => number;
  /** Waiting messages by queue, ordered by priority step (the heap's due time), then FIFO. */
  private readonly waiting = new Map<string, Timeline<Stored>>();
  private readonly delayed = new Timeline<Stored>();
  private readonly unacked = new Map<string, { at: number; msg: Stored }>();
  private readonly revoked = new Map<string, number>();
  /** Dead letters, oldest first, each with its message (so a redrive restores id and priority). */
  private dead: { entry: DeadLetter; msg: Stored; at: number }[] = [];
  private declare readonly deadLimits: Required<DeadLetterLimits>;
  private seq = 0;

  constructor(opts: MemoryBrokerOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.deadLimits = deadLetterLimits(opts.deadLetters);
    this.events = opts.events;
    if (opts.decode) this.decode = opts.decode;
  }

  async publish(messages: OutboundMessage[]): Promise<void> {
    const now = this.now();
    for (const { id, queue, priority, payload, notBefore } of messages) {
      const msg: Stored = { id, queue, priority, payload, redelivered: false };
      if (notBefore != null && notBefore > now) this.delayed.add(notBefore, msg);
      else this.wait(msg);
    }
  }

  async claim(queues: string[], opts: ClaimOptions): Promise<Delivery[]> {
    const now = opts.now ?? this.now();
    for (let msg; (msg = this.delayed.shift(now));) this.wait(msg);
    this.restore(now - opts.visibilityMs, new Set(queues));
    const out: Delivery[] = [];
    for (const step of STEPS) {
      for (const q of queues) {
        for (let msg; out.length < opts.max && (msg = this.waiting.get(q)?.shift(step));) {
          const tag = `m${++this.seq}`;
          const { id, ...fields } = msg;
          this.unacked.set(tag, { at: now, msg });
          out.push({ tag, ...fields, revoked: (this.revoked.get(id) ?? -Infinity) > now });
        }
      }
    }
    return out;
  }

  async ack(deliveries: Delivery[]): Promise<void> {
    for (const d of deliveries) this.unacked.delete(d.tag);
  }

  async requeue(d: Delivery, opts: { delayMs: number }): Promise<void> {
    const msg = this.takeUnacked(d);
    // A claim that expired was already put back: requeueing it again would make a copy.
    if (!msg) return;
    if (opts.delayMs > 0) this.delayed.add(this.now() + opts.delayMs, msg);
    else this.wait(msg, true);
  }

  async deadLetter(d: Delivery, reason: string): Promise<void> {
    const { queue, priority, payload, redelivered } = d;
    const msg = this.takeUnacked(d) ?? { id: "", queue, priority, payload, redelivered };
    const at = this.now();
    this.liveDead().push({ entry: { payload, queue, reason, priority, at: new Date(at).toISOString() }, msg, at });
    this.dead.splice(0, this.dead.length - this.deadLimits.max);
  }

  /** The oldest matching dead letters go back to the tail of their queue (id and priority kept). */
  async redrive(opts: RedriveOptions): Promise<number> {
    let moved = 0;
    this.dead = this.liveDead().filter(({ entry, msg }) => {
      if (moved >= opts.limit || (opts.queue !== undefined && entry.queue !== opts.queue)) return true;
      moved++;
      this.wait(msg);
      return false;
    });
    return moved;
  }

  async extend(deliveries: Delivery[], _visibilityMs?: number, opts: ExtendOptions = {}): Promise<void> {
    const now = opts.now ?? this.now();
    for (const d of deliveries) {
      const e = this.unacked.get(d.tag);
      if (e) e.at = now;
    }
  }

  async revoke(ids: string[], ttlMs: number): Promise<void> {
    const now = this.now();
    if (this.revoked.size >= 1024) for (const [id, until] of this.revoked) if (until <= now) this.revoked.delete(id);
    for (const id of ids) this.revoked.set(id, now + ttlMs);
  }

  async deadLetters(limit = 100): Promise<DeadLetter[]> {
    return limit > 0 ? this.liveDead().slice(-limit).reverse().map((e) => e.entry) : [];
  }

  async size(queue: string): Promise<number> {
    return this.waiting.get(queue)?.length ?? 0;
  }

  /** Waiting per queue, delayed, unacked and dead-letter counts (no I/O). */
  async stats(queues: string[]): Promise<BrokerStats> {
    const waiting: Record<string, number> = {};
    for (const q of queues) waiting[q] = await this.size(q);
    return { waiting, delayed: this.delayed.length, unacked: this.unacked.size, dead: this.dead.length };
  }

  async purge(queue: string): Promise<number> {
    const n = await this.size(queue);
    this.waiting.delete(queue);
    return n;
  }

  /** The dead letters, after dropping those older than the TTL (a prefix: they are oldest first). */
  private liveDead(): { entry: DeadLetter; msg: Stored; at: number }[] {
    const oldest = this.now() - this.deadLimits.ttlSeconds * 1000;
    const n = this.dead.findIndex((e) => e.at >= oldest);
    this.dead.splice(0, n < 0 ? this.dead.length : n);
    return this.dead;
  }

  /** Take a delivery out of the unacked set; its message, or undefined when its claim expired. */
  private takeUnacked(d: Delivery): Stored | undefined {
    const msg = this.unacked.get(d.tag)?.msg;
    this.unacked.delete(d.tag);
    return msg;
  }

  /** Queue `msg` at the tail of its priority step (with `first`, at its head). */
  private wait(msg: Stored, first = false): void {
    let list = this.waiting.get(msg.queue);
    if (!list) this.waiting.set(msg.queue, list = new Timeline());
    list.add(stepOf(msg.priority), msg, first);
  }

  // Messages of `queues` claimed before `cutoff` and never acked go back to the head of their
  // queue; an ETA message not before ETA + visibility (docs/celery-interop.md).
  private restore(cutoff: number, queues: Set<string>): void {
    // Deleting the entry being visited is safe while iterating a Map: no copy per claim.
    for (const [tag, e] of this.unacked) {
      if (e.at > cutoff || !queues.has(e.msg.queue) || etaOf(e.msg.payload) > cutoff) continue;
      this.unacked.delete(tag);
      e.msg.redelivered = true;
      this.wait(e.msg, true);
    }
  }
}

// headers.eta in epoch ms (0 when none or unreadable); parsed only for expired claims.
function etaOf(payload: string): number {
  if (!payload.includes('"eta"')) return 0;
  try {
    const eta = (JSON.parse(payload) as { headers?: { eta?: unknown } }).headers?.eta;
    return (typeof eta === "string" && parseInstant(eta)) || 0; // NaN (unreadable) is 0 too
  } catch {
    return 0;
  }
}

/** Create the embedded in-memory broker. */
export function memoryBroker(opts: MemoryBrokerOptions = {}): MemoryBroker {
  return new MemoryBroker(opts);
}
