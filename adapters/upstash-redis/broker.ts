import type { Redis } from "@upstash/redis";
import { decodeIncoming } from "../../src/decode.ts";
import type { TaskMessage } from "../../src/types.ts";
import {
  deadLetterLimits, type ClaimOptions, type DeadLetter, type DeadLetterLimits, type Delivery, type ExtendOptions, type OutboundMessage,
  type BrokerStats, type PullBroker, type RedriveOptions, type ResultBackend, type ResultWrite, type WaitForWorkOptions,
} from "../../src/ports.ts";
import { settleOn, UpstashRedisBackend } from "./backend.ts";
import { upstashStats } from "./stats.ts";
import { ADAPTER, callSite, guard, type CallSite } from "./errors.ts";
import { brokerKeys, PRIORITY_STEPS, stepOf, type BrokerKeys, type RedisLayoutOptions } from "./keys.ts";
import { claim, deadLetter, redrive, requeue } from "./lua/mod.ts";
import { purgeOn, UpstashEvents } from "./events.ts";
import { IdleWaiter } from "./idle.ts";
import { idleOptions, type UpstashIdleOptions } from "./idle-options.ts";
import { publishMessages, wakeChannel, type PublishSite } from "./publish.ts";
import { piecesOf } from "./pieces.ts";
import type { UpstashSse } from "./sse-waits.ts";

/** Options of `upstashRedisBroker` (the layout options are shared with `redisBroker`). */
export interface UpstashRedisBrokerOptions extends RedisLayoutOptions {
  /** An `@upstash/redis` client (`new Redis({ url, token })` or `Redis.fromEnv(env)`). */
  redis: Redis;
  /** DB number in Celery's event channel names, `/<db>.celeryev/*` (default 0; see docs/monitoring.md). */
  db?: number;
  /** How an idle `worker.run()` waits (timings; polls with back-off unless `sse` is given). */
  idle?: UpstashIdleOptions;
  /** `upstashSse`: an idle `run()` waits on SSE wake-ups, not polls (bundled only if imported; the CLI passes it). */
  sse?: UpstashSse;
}

type ClaimRow = [string, string, number, string, number, number];

/**
 * A pull broker on Upstash Redis with kombu's Redis layout, so Python Celery workers and
 * producers share its queues. Every method is one HTTP request (see docs/upstash-redis.md).
 */
export class UpstashRedisBroker implements PullBroker {
  readonly name = ADAPTER;
  readonly capabilities = { revocation: true };
  /** Python Celery writes these queues too: its zlib/gzip and protocol 1 messages are decoded (src/decode.ts). */
  readonly decode: (payload: string) => Promise<TaskMessage> = decodeIncoming;
  readonly redis: Redis;
  readonly keys: BrokerKeys;
  /** Endpoint and deadline of every call. */
  readonly site: CallSite;
  private readonly now: () => number;
  private readonly bound = new Set<string>();
  private readonly etaOnQueue: boolean;
  private readonly dead: Required<DeadLetterLimits>;
  /** Celery's events (PUBLISH only, see ./events.ts). */
  readonly events: UpstashEvents;
  private readonly pub: PublishSite;
  private idle: IdleWaiter;
  private sse?: UpstashSse;

  constructor(opts: UpstashRedisBrokerOptions) {
    this.redis = opts.redis;
    this.keys = brokerKeys(opts.prefix ?? "");
    this.now = opts.now ?? Date.now;
    this.etaOnQueue = opts.eta === "queue";
    this.site = callSite(opts.redis, opts.timeoutMs);
    this.dead = deadLetterLimits(opts.deadLetters);
    this.events = new UpstashEvents(opts.redis, this.keys.prefix, opts.db ?? 0, this.site);
    const i = opts.idle ?? {};
    this.pub = { redis: this.redis, keys: this.keys, bound: this.bound, etaOnQueue: this.etaOnQueue, wake: i.publishWakeups ?? true, site: this.site };
    this.idle = new IdleWaiter(idleOptions(i, this.site.timeoutMs), this.now);
    if (opts.sse) this.useSse(opts.sse);
  }

  /** Wait on SSE wake-ups from now on (option `sse`; the CLI calls it before the worker starts). */
  useSse(sse: UpstashSse): void {
    if (!this.sse) this.idle = (this.sse = sse).idle(this.redis, wakeChannel(this.keys), this.idle.options, this.now);
  }

  /**
   * After an empty claim: wait on the wake channel's SSE subscription (with `sse`; else, or
   * where there is none, poll with back-off) until work may be there, the next due time, or the idle cap.
   */
  waitForWork(queues: string[], opts: WaitForWorkOptions): Promise<void> {
    return this.idle.wait(queues, opts.signal);
  }

  /** Whether an idle wait currently holds a subscription. */
  get listening(): boolean { return this.idle.listening; }

  /** Close the wake subscription (it is also closed when the waiting worker stops). */
  async close(): Promise<void> { this.idle.close(); }

  /** LPUSH per list (kombu's producer side), ZADD for future ETAs and a wake-up, in one request. */
  publish(messages: OutboundMessage[]): Promise<void> {
    return publishMessages(this.pub, messages, this.now());
  }

  async claim(queues: string[], opts: ClaimOptions): Promise<Delivery[]> {
    if (opts.max <= 0 || !queues.length) return [];
    const lists = PRIORITY_STEPS.flatMap((step) => queues.map((q) => ({ q, key: this.keys.queue(q, step) })));
    const now = opts.now ?? this.now();
    const mark = this.idle.claiming();
    const reply = await claim.run(this.redis, {
      keys: { unacked: this.keys.unacked, unackedIndex: this.keys.unackedIndex, delayed: this.keys.delayed, revoked: this.keys.revoked },
      more: lists.map((l) => l.key),
      args: [now, (now / 1000).toFixed(3), opts.visibilityMs / 1000, opts.max, this.keys.prefix, crypto.randomUUID(), ...lists.map((l) => l.q)],
    }, this.site) as (ClaimRow | number)[];
    // An empty claim answers [dueMs]: when the next delayed message or expired claim falls due.
    const rows = (Array.isArray(reply) ? reply : []).filter((r): r is ClaimRow => Array.isArray(r));
    this.idle.claimed(mark, rows.length > 0, rows.length ? Infinity : Number(reply?.[0] ?? Infinity));
    return rows.map(([tag, queue, priority, payload, redelivered, revoked]) => ({
      tag, queue, priority, payload, redelivered: redelivered === 1, revoked: revoked === 1,
    }));
  }

  async ack(deliveries: Delivery[], results: ResultWrite[] = []): Promise<void> {
    if (!deliveries.length && !results.length) return;
    await settleOn(this.redis, this.keys, deliveries.map((d) => d.tag), results, this.site);
  }

  async requeue(d: Delivery, opts: { delayMs: number }): Promise<void> {
    await requeue.run(this.redis, {
      keys: {
        unacked: this.keys.unacked, unackedIndex: this.keys.unackedIndex, delayed: this.keys.delayed,
        queue: this.keys.queue(d.queue, stepOf(d.priority)),
      },
      args: [d.tag, opts.delayMs > 0 ? this.now() + opts.delayMs : 0],
    }, this.site);
  }

  /** Keep `{payload, queue, reason, at}` in `_celeriac.dead`, trimmed to `deadLetters.max` and `.ttlSeconds`. */
  async deadLetter(d: Delivery, reason: string): Promise<void> {
    // `at` goes last: the script reads it from the entry's tail to expire old entries.
    const entry: DeadLetter = { payload: d.payload, queue: d.queue, reason, priority: d.priority, at: new Date(this.now()).toISOString() };
    await deadLetter.run(this.redis, {
      keys: { unacked: this.keys.unacked, unackedIndex: this.keys.unackedIndex, dead: this.keys.deadLetters },
      args: [d.tag, JSON.stringify(entry), this.dead.max, this.cutoff(), Math.ceil(this.dead.ttlSeconds)],
    }, this.site);
  }

  /** One script call: the oldest dead letters go back, envelope unchanged, to the tail of their queue. */
  async redrive(opts: RedriveOptions): Promise<number> {
    const limit = Math.min(Math.floor(opts.limit), 1_000_000);
    if (!(limit > 0)) return 0;
    const moved = await redrive.run(this.redis, {
      keys: { dead: this.keys.deadLetters },
      args: [this.keys.prefix, limit, opts.queue ?? "", this.cutoff()],
    }, this.site);
    return Number(moved) || 0;
  }

  // Entries stamped before this ISO instant have expired (ISO text sorts as time does).
  private cutoff(): string {
    return new Date(this.now() - this.dead.ttlSeconds * 1000).toISOString();
  }

  /** Restart the visibility clock of running deliveries (ZADD XX: a restored claim is not revived). */
  extend(deliveries: Delivery[], _visibilityMs?: number, opts: ExtendOptions = {}): Promise<void> {
    if (!deliveries.length) return Promise.resolve();
    const score = Number(((opts.now ?? this.now()) / 1000).toFixed(3));
    const pieces = piecesOf(deliveries.map((d) => ({ score, member: d.tag })));
    return guard("extend", async () => {
      if (pieces.length === 1) return void await this.redis.zadd(this.keys.unackedIndex, { xx: true }, pieces[0][0], ...pieces[0].slice(1));
      const p = this.redis.pipeline();
      for (const [first, ...rest] of pieces) p.zadd(this.keys.unackedIndex, { xx: true }, first, ...rest);
      await p.exec();
    }, this.site);
  }

  revoke(ids: string[], ttlMs: number): Promise<void> {
    if (!ids.length) return Promise.resolve();
    const now = this.now();
    return guard("revoke", async () => {
      const tx = this.redis.multi();
      for (const [first, ...rest] of piecesOf(ids.map((id) => ({ score: now + ttlMs, member: id })))) tx.zadd(this.keys.revoked, first, ...rest);
      await tx.zremrangebyscore(this.keys.revoked, "-inf", now).exec();
    }, this.site);
  }

  /** True for an `UpstashRedisBackend` on the same client and prefix: `ack` then stores results too. */
  storesResultsFor(backend: ResultBackend): boolean {
    return backend instanceof UpstashRedisBackend && backend.redis === this.redis && backend.keys.prefix === this.keys.prefix;
  }

  deadLetters(limit = 100): Promise<DeadLetter[]> {
    if (limit <= 0) return Promise.resolve([]);
    const cutoff = this.cutoff();
    return guard("deadLetters", async () => {
      const raw = await this.redis.lrange<unknown>(this.keys.deadLetters, 0, limit - 1);
      return raw.map((e) => (typeof e === "string" ? JSON.parse(e) : e) as DeadLetter).filter((e) => !(e.at < cutoff));
    }, this.site);
  }

  /** Waiting per queue, delayed, unacked, dead: one script call (stats.ts). */
  stats(queues: string[]): Promise<BrokerStats> {
    return upstashStats(this.redis, this.keys, queues, this.site);
  }

  purge(queue: string): Promise<number> {
    return purgeOn(this.redis, this.keys, queue, this.site);
  }

  size(queue: string): Promise<number> {
    return guard("size", async () => {
      const p = this.redis.pipeline();
      for (const step of PRIORITY_STEPS) p.llen(this.keys.queue(queue, step));
      return (await p.exec<number[]>()).reduce((n, x) => n + Number(x), 0);
    }, this.site);
  }
}

/** Create an Upstash Redis broker. */
export function upstashRedisBroker(opts: UpstashRedisBrokerOptions): UpstashRedisBroker {
  return new UpstashRedisBroker(opts);
}
