import type { Redis } from "ioredis";
import { decodeIncoming } from "../../src/decode.ts";
import type { TaskMessage } from "../../src/types.ts";
import { deadLetterLimits, type BrokerStats, type ClaimOptions, type DeadLetter, type DeadLetterLimits, type Delivery, type ExtendOptions, type OutboundMessage, type PullBroker, type RedriveOptions, type ResultBackend, type ResultWrite, type WaitForWorkOptions } from "../../src/ports.ts";
import { brokerKeys, PRIORITY_STEPS, stepOf, type BrokerKeys, type RedisLayoutOptions } from "../upstash-redis/keys.ts";
import { listEntry, wrapEnvelope } from "../upstash-redis/lua/_shared.ts";
import { piecesOf } from "../upstash-redis/pieces.ts";
import { claim, deadLetter, redrive, requeue } from "../upstash-redis/lua/mod.ts";
import { RedisBackend, settleOn } from "./backend.ts";
import { connect, runScript, type RedisConnectionOptions, type RedisLike } from "./client.ts";
import { ADAPTER, guard } from "./errors.ts";
import { purgeOn, RedisEvents } from "./events.ts";
import { IdleWaiter } from "./idle.ts";
import { redisStats } from "./stats.ts";

/** Options of `redisBroker`: kombu's layout options (shared with `upstashRedisBroker`) and the connection's. */
export interface RedisBrokerOptions extends RedisLayoutOptions, Omit<RedisConnectionOptions, "timeoutMs"> {
  /** Longest idle wait before a worker claims anyway, a safety net for lost wake-ups (default 300 000 ms). */
  maxIdleMs?: number;
}

type ClaimRow = [string, string, number, string, number, number];

/**
 * A pull broker on Redis over TCP (ioredis) with kombu's layout and the Lua scripts of the
 * Upstash adapter, so Python Celery, Upstash and TCP workers share queues. An idle worker waits
 * on blocking commands instead of polling (see `./idle.ts`).
 */
export class RedisBroker implements PullBroker {
  readonly name = ADAPTER;
  readonly capabilities = { revocation: true };
  /** Python Celery writes these queues too: its zlib/gzip and protocol 1 messages are decoded (src/decode.ts). */
  readonly decode: (payload: string) => Promise<TaskMessage> = decodeIncoming;
  readonly redis: Redis;
  readonly keys: BrokerKeys;
  private readonly owned: boolean;
  private readonly now: () => number;
  private readonly etaOnQueue: boolean;
  private readonly idle: IdleWaiter;
  private readonly bound = new Set<string>();
  private readonly dead: Required<DeadLetterLimits>;
  /** Celery's events and pidbox on this connection's DB (`/<db>.celeryev/*`, `/<db>.celery.pidbox`). */
  readonly events: RedisEvents;
  private claimedAt = -Infinity;

  constructor(target: RedisLike, opts: RedisBrokerOptions = {}) {
    ({ redis: this.redis, owned: this.owned } = connect(target, opts));
    this.keys = brokerKeys(opts.prefix ?? "");
    this.now = opts.now ?? Date.now;
    this.etaOnQueue = opts.eta === "queue";
    this.dead = deadLetterLimits(opts.deadLetters);
    this.events = new RedisEvents(this.redis, this.keys.prefix, opts.timeoutMs);
    this.idle = new IdleWaiter(this.redis, `${this.keys.prefix}_celeriac.wake`, opts.maxIdleMs ?? 300_000);
  }

  /** LPUSH per list (kombu's producer side), ZADD for future ETAs and a wake-up, in one MULTI. */
  publish(messages: OutboundMessage[]): Promise<void> {
    if (!messages.length) return Promise.resolve();
    const now = this.now();
    const lists = new Map<string, string[]>();
    const delayed: [number, string][] = [];
    for (const m of messages) {
      const entry = listEntry(m.payload, m.id, m.priority);
      if (!this.etaOnQueue && m.notBefore != null && m.notBefore > now) delayed.push([m.notBefore, wrapEnvelope(entry, m.queue)]);
      else {
        const key = this.keys.queue(m.queue, stepOf(m.priority));
        (lists.get(key) ?? lists.set(key, []).get(key)!).push(entry);
      }
    }
    // kombu's queue_bind on first use: SADD _kombu.binding.<q> "<q>\x06\x16\x06\x16<q>" (inspect/Flower read it).
    const bind = [...new Set(messages.map((m) => m.queue))].filter((q) => !this.bound.has(q));
    return guard("publish", async () => {
      const tx = this.redis.multi();
      for (const q of bind) tx.sadd(`${this.keys.prefix}_kombu.binding.${q}`, `${q}\x06\x16\x06\x16${q}`);
      // In pieces (pieces.ts); LPUSH pieces in order keep the FIFO order.
      for (const [key, payloads] of lists) for (const part of piecesOf(payloads)) tx.lpush(key, ...part);
      for (const part of piecesOf(delayed)) tx.zadd(this.keys.delayed, ...part.flat());
      // Wake-up for idle workers (Upstash ones hold no blocking watcher): `[dueMs, ...queues]`, 0 = now.
      const due = lists.size ? 0 : delayed.reduce((min, [at]) => Math.min(min, at), Infinity);
      tx.publish(`${this.keys.prefix}_celeriac.wake`, JSON.stringify([due, ...new Set(messages.map((m) => m.queue))]));
      throwFailed(await tx.exec());
      for (const q of bind) this.bound.add(q);
    });
  }

  async claim(queues: string[], opts: ClaimOptions): Promise<Delivery[]> {
    if (opts.max <= 0 || !queues.length) return [];
    const lists = PRIORITY_STEPS.flatMap((step) => queues.map((q) => ({ q, key: this.keys.queue(q, step) })));
    const now = (opts as { now?: number }).now ?? this.now();
    this.claimedAt = now;
    const k = this.keys;
    const rows = await runScript(this.redis, claim, {
      keys: { unacked: k.unacked, unackedIndex: k.unackedIndex, delayed: k.delayed, revoked: k.revoked },
      more: lists.map((l) => l.key),
      args: [now, (now / 1000).toFixed(3), opts.visibilityMs / 1000, opts.max, k.prefix, crypto.randomUUID(), ...lists.map((l) => l.q)],
    }) as ClaimRow[];
    return (Array.isArray(rows) ? rows : []).filter(Array.isArray).map(([tag, queue, priority, payload, redelivered, revoked]) => ({
      tag, queue, priority, payload, redelivered: redelivered === 1, revoked: revoked === 1,
    }));
  }

  async ack(deliveries: Delivery[], results: ResultWrite[] = []): Promise<void> {
    if (!deliveries.length && !results.length) return;
    await settleOn(this.redis, this.keys, deliveries.map((d) => d.tag), results);
  }

  async requeue(d: Delivery, opts: { delayMs: number }): Promise<void> {
    const k = this.keys;
    await runScript(this.redis, requeue, {
      keys: { unacked: k.unacked, unackedIndex: k.unackedIndex, delayed: k.delayed, queue: k.queue(d.queue, stepOf(d.priority)) },
      args: [d.tag, opts.delayMs > 0 ? this.now() + opts.delayMs : 0],
    });
  }

  async deadLetter(d: Delivery, reason: string): Promise<void> {
    // `at` goes last: the script reads it from the entry's tail to expire old entries.
    const entry: DeadLetter = { payload: d.payload, queue: d.queue, reason, priority: d.priority, at: new Date(this.now()).toISOString() };
    await runScript(this.redis, deadLetter, {
      keys: { unacked: this.keys.unacked, unackedIndex: this.keys.unackedIndex, dead: this.keys.deadLetters },
      args: [d.tag, JSON.stringify(entry), this.dead.max, this.cutoff(), Math.ceil(this.dead.ttlSeconds)],
    });
  }

  /** One script call: the oldest dead letters go back, envelope unchanged, to the tail of their queue. */
  async redrive(opts: RedriveOptions): Promise<number> {
    const limit = Math.min(Math.floor(opts.limit), 1_000_000);
    if (!(limit > 0)) return 0;
    const moved = await runScript(this.redis, redrive, {
      keys: { dead: this.keys.deadLetters },
      args: [this.keys.prefix, limit, opts.queue ?? "", this.cutoff()],
    });
    return Number(moved) || 0;
  }

  // Entries stamped before this ISO instant have expired (ISO text sorts as time does).
  private cutoff(): string {
    return new Date(this.now() - this.dead.ttlSeconds * 1000).toISOString();
  }

  /** Restart the visibility clock of running deliveries (ZADD XX: a restored claim is not revived). */
  extend(deliveries: Delivery[], _visibilityMs?: number, opts: ExtendOptions = {}): Promise<void> {
    if (!deliveries.length) return Promise.resolve();
    const score = ((opts.now ?? this.now()) / 1000).toFixed(3);
    return guard("extend", async () => {
      const p = this.redis.pipeline();
      for (const part of piecesOf(deliveries)) p.zadd(this.keys.unackedIndex, "XX", ...part.flatMap((d) => [score, d.tag]));
      throwFailed(await p.exec());
    });
  }

  revoke(ids: string[], ttlMs: number): Promise<void> {
    if (!ids.length) return Promise.resolve();
    const now = this.now();
    return guard("revoke", async () => {
      const tx = this.redis.multi();
      for (const part of piecesOf(ids)) tx.zadd(this.keys.revoked, ...part.flatMap((id) => [now + ttlMs, id]));
      throwFailed(await tx.zremrangebyscore(this.keys.revoked, "-inf", now).exec());
    });
  }

  /** True for a `RedisBackend` on the same client and prefix: `ack` then stores results too. */
  storesResultsFor(backend: ResultBackend): boolean {
    return backend instanceof RedisBackend && backend.redis === this.redis && backend.keys.prefix === this.keys.prefix;
  }

  deadLetters(limit = 100): Promise<DeadLetter[]> {
    if (limit <= 0) return Promise.resolve([]);
    const cutoff = this.cutoff(); // entries past their TTL that no dead-letter call has trimmed yet
    return guard("deadLetters", async () =>
      (await this.redis.lrange(this.keys.deadLetters, 0, limit - 1)).map((e) => JSON.parse(e) as DeadLetter).filter((e) => !(e.at < cutoff))
    );
  }

  /** Waiting per queue, delayed, unacked, dead: one script call (stats.ts). */
  stats(queues: string[]): Promise<BrokerStats> {
    return redisStats(this.redis, this.keys, queues);
  }

  size(queue: string): Promise<number> {
    return guard("size", async () => {
      const p = this.redis.pipeline();
      for (const step of PRIORITY_STEPS) p.llen(this.keys.queue(queue, step));
      return ((await p.exec()) ?? []).reduce((n, [err, x]) => (err ? Promise.reject(err) as never : n + Number(x)), 0);
    });
  }

  /** Block until a queue list has a message, a delayed message or an expired claim is due, or the idle cap. */
  async waitForWork(queues: string[], opts: WaitForWorkOptions): Promise<void> {
    const [[, delayed], [, claimed]] = await guard("waitForWork", async () =>
      (await this.redis.pipeline().zrange(this.keys.delayed, 0, 0, "WITHSCORES").zrange(this.keys.unackedIndex, 0, 0, "WITHSCORES").exec())!
    ) as [unknown, string[]][];
    const now = this.now();
    // A head due by the preceding claim's `now` was that claim's to take; one it left (another
    // queue's claim, an ETA message held to ETA + visibility) must not end every wait at once.
    const later = (t: number): number => (t > this.claimedAt ? t : Infinity);
    const due = Math.min(later(delayed[1] ? Number(delayed[1]) : Infinity), later(claimed[1] ? Number(claimed[1]) * 1000 + opts.visibilityMs : Infinity));
    const lists = PRIORITY_STEPS.flatMap((step) => queues.map((q) => this.keys.queue(q, step)));
    await this.idle.wait({ lists, dueAt: due, now, signal: opts.signal });
  }

  /** Stop the idle watchers; quit the client when this broker created it. */
  /** DEL the queue's lists (every priority step) in one MULTI; resolves to how many messages went. */
  purge(queue: string): Promise<number> {
    return purgeOn(this.redis, this.keys, queue);
  }

  async close(): Promise<void> {
    await this.idle.close();
    if (this.owned) await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/** Create a TCP Redis broker from a `redis://` URL or an ioredis client. */
export function redisBroker(target: RedisLike, opts: RedisBrokerOptions = {}): RedisBroker {
  return new RedisBroker(target, opts);
}

// A pipeline's or MULTI's replies carry each command's error instead of rejecting: throw the first.
function throwFailed(replies: [Error | null, unknown][] | null): void {
  const failed = replies?.find(([err]) => err);
  if (!replies || failed) throw failed?.[0] ?? new Error("transaction aborted");
}
