/**
 * The AMQP broker's dead-letter list: a durable queue `<prefix>celeriac.dead` of JSON entries
 * `{payload, queue, reason, priority, at}`, oldest first. Reading it without consuming it means
 * `basic.get` on a channel of its own and closing that channel: what was not acked goes back
 * in order. Bounds (`deadLetters: { max, ttlSeconds }`) are applied by this code, not by queue
 * arguments, so changing them never makes a declaration fail.
 * @module
 */
import { Buffer } from "node:buffer";
import type { DeadLetter, RedriveOptions } from "../../src/ports.ts";
import type { Session } from "./link.ts";
import type { Topology } from "./topology.ts";
import { toWire } from "./wire.ts";

/** How much of the list one call reads at most. */
const SCAN = 100_000;

/** The dead-letter queue of one broker. */
export class DeadLetterQueue {
  constructor(readonly name: string, private readonly limits: { max: number; ttlSeconds: number }, private readonly now: () => number) {}

  private expired(e: DeadLetter): boolean {
    return Date.parse(e.at) < this.now() - this.limits.ttlSeconds * 1000;
  }

  /** Append an entry (confirmed), then drop the oldest beyond `max`. */
  async add(s: Session, t: Topology, entry: DeadLetter): Promise<void> {
    await t.plain(this.name);
    s.pub.publish("", this.name, Buffer.from(JSON.stringify(entry)), { persistent: true, contentType: "application/json" });
    await s.pub.waitForConfirms();
    let count = (await s.pub.assertQueue(this.name, { durable: true })).messageCount;
    while (count-- > this.limits.max) {
      const m = await s.sub.get(this.name, { noAck: true });
      if (!m) break;
    }
  }

  /** Entries newest first, expired ones left out. */
  async list(s: Session, t: Topology, limit: number): Promise<DeadLetter[]> {
    const all = await this.scan(s, t, async (entries) => entries);
    return all.map((x) => x.entry).filter((e) => !this.expired(e)).reverse().slice(0, limit);
  }

  /** Publish up to `limit` of the oldest (matching) entries back to their queues; expired ones are dropped. */
  redrive(s: Session, t: Topology, opts: RedriveOptions, queueName: (q: string) => string): Promise<number> {
    return this.scan(s, t, async (entries, ack) => {
      let moved = 0;
      const settle: (() => void)[] = [];
      for (const { entry, msg } of entries) {
        if (this.expired(entry)) settle.push(() => ack(msg));
        else if (moved < opts.limit && (opts.queue == null || entry.queue === opts.queue)) {
          const target = queueName(entry.queue);
          await t.ensure(target);
          const w = toWire(entry.payload, "", entry.priority ?? 0);
          s.pub.publish("", target, Buffer.from(w.content), { persistent: true, ...w.options });
          settle.push(() => ack(msg));
          moved++;
        }
      }
      if (settle.length) await s.pub.waitForConfirms();
      for (const f of settle) f();
      return moved;
    });
  }

  /** Get every entry on a private channel, run `fn`, then close the channel (unacked entries return). */
  private async scan<T>(
    s: Session, t: Topology,
    fn: (entries: { entry: DeadLetter; msg: object }[], ack: (msg: object) => void) => Promise<T>,
  ): Promise<T> {
    await t.plain(this.name);
    const ch = await s.conn.createChannel();
    ch.on("error", () => {});
    try {
      const entries: { entry: DeadLetter; msg: object }[] = [];
      for (let m = await ch.get(this.name); m && entries.length < SCAN; m = await ch.get(this.name)) {
        entries.push({ entry: JSON.parse(m.content.toString()) as DeadLetter, msg: m });
      }
      return await fn(entries, (msg) => ch.ack(msg as Parameters<typeof ch.ack>[0]));
    } finally {
      await ch.close().catch(() => {});
    }
  }
}
