/**
 * The Upstash broker's `publish`: kombu's LPUSH per list, celeriac's ZADD for future ETAs, the
 * first use's `_kombu.binding` SADD, and a PUBLISH on the wake channel that ends idle workers'
 * waits (see `./idle.ts`), all in one MULTI/EXEC request.
 * @module
 */
import type { Redis } from "@upstash/redis";
import type { OutboundMessage } from "../../src/ports.ts";
import { guard, type CallSite } from "./errors.ts";
import { stepOf, type BrokerKeys } from "./keys.ts";
import { listEntry, wrapEnvelope } from "./lua/_shared.ts";
import { piecesOf } from "./pieces.ts";

/** The wake channel of a prefix; the TCP adapter (`adapters/redis`) uses the same one. */
export function wakeChannel(keys: BrokerKeys): string {
  return `${keys.prefix}_celeriac.wake`;
}

/** What one publish call needs from its broker. */
export interface PublishSite {
  redis: Redis;
  keys: BrokerKeys;
  /** Queues whose binding is written already (updated here). */
  bound: Set<string>;
  /** Future ETAs go to the queue list (`eta: "queue"`) instead of the delayed set. */
  etaOnQueue: boolean;
  /** PUBLISH wake-ups (option `wake`, default true). */
  wake: boolean;
  site: CallSite;
}

/** Publish `messages` in one request; the wake-up says `[dueMs, ...queues]` (0: due now). */
export function publishMessages(p: PublishSite, messages: OutboundMessage[], now: number): Promise<void> {
  if (!messages.length) return Promise.resolve();
  const lists = new Map<string, string[]>();
  const delayed: { score: number; member: string }[] = [];
  let due = Infinity;
  for (const m of messages) {
    const entry = listEntry(m.payload, m.id, m.priority);
    if (!p.etaOnQueue && m.notBefore != null && m.notBefore > now) {
      delayed.push({ score: m.notBefore, member: wrapEnvelope(entry, m.queue) });
      due = Math.min(due, m.notBefore);
    } else {
      due = 0;
      const key = p.keys.queue(m.queue, stepOf(m.priority));
      (lists.get(key) ?? lists.set(key, []).get(key)!).push(entry);
    }
  }
  const queues = [...new Set(messages.map((m) => m.queue))];
  // kombu's queue_bind on first use: SADD _kombu.binding.<q> "<q>\x06\x16\x06\x16<q>" (inspect/Flower read it).
  const bind = queues.filter((q) => !p.bound.has(q));
  return guard("publish", async () => {
    // One command goes alone; several go in one MULTI/EXEC (atomic: all or none are sent).
    // LPUSH pieces in order keep the FIFO order (the consumer pops from the tail).
    const pushes = [...lists].flatMap(([key, payloads]) => piecesOf(payloads).map((part) => ({ key, part })));
    const adds = piecesOf(delayed);
    const commands = pushes.length + adds.length + bind.length + (p.wake ? 1 : 0);
    if (commands === 1 && pushes.length === 1) return void await p.redis.lpush(pushes[0].key, ...pushes[0].part);
    if (commands === 1) return void await p.redis.zadd(p.keys.delayed, adds[0][0], ...adds[0].slice(1));
    const tx = p.redis.multi();
    for (const q of bind) tx.sadd(`${p.keys.prefix}_kombu.binding.${q}`, `${q}\x06\x16\x06\x16${q}`);
    for (const { key, part } of pushes) tx.lpush(key, ...part);
    for (const part of adds) tx.zadd(p.keys.delayed, part[0], ...part.slice(1));
    if (p.wake) tx.publish(wakeChannel(p.keys), JSON.stringify([due, ...queues]));
    await tx.exec();
    for (const q of bind) p.bound.add(q);
  }, p.site);
}
