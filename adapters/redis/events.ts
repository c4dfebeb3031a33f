/**
 * Celery's monitoring channels over TCP Redis (`RedisBroker.events`), kombu's fanout layout
 * with the DB number of the connection: events PUBLISHed to `<prefix>/<db>.celeryev/<key>`,
 * a subscriber for `celery events`, the pidbox on `<prefix>/<db>.celery.pidbox` with replies
 * LPUSHed to the queues of `_kombu.binding.reply.celery.pidbox`, and the client side of a
 * broadcast (bind a reply queue, PUBLISH, BRPOP until the timeout).
 * @module
 */
import type { Redis } from "ioredis";
import type { EventChannel, FanoutMessage } from "../../src/ports.ts";
import { sidecar, withDeadline } from "./client.ts";
import { PRIORITY_STEPS, type BrokerKeys } from "../upstash-redis/keys.ts";
import { guard } from "./errors.ts";

const SEP = "\x06\x16";

/** Events and pidbox of one Redis connection and key prefix. */
export class RedisEvents implements EventChannel {
  private readonly fanout: string;

  constructor(private readonly redis: Redis, private readonly prefix: string, private readonly timeoutMs = 10_000) {
    this.fanout = `${prefix}/${redis.options.db ?? 0}.`;
  }

  /** One pipeline of PUBLISH commands. */
  publishEvents(events: FanoutMessage[]): Promise<void> {
    if (!events.length) return Promise.resolve();
    return guard("publishEvents", async () => {
      const p = this.redis.pipeline();
      for (const e of events) p.publish(`${this.fanout}celeryev/${e.routingKey}`, e.payload);
      const failed = (await p.exec())?.find(([err]) => err);
      if (failed) throw failed[0];
    });
  }

  subscribeEvents(onEvent: (event: FanoutMessage) => void): Promise<() => Promise<void>> {
    const base = `${this.fanout}celeryev/`;
    return this.listen(`${base}*`, true, (channel, payload) => onEvent({ routingKey: channel.slice(base.length), payload }));
  }

  subscribeControl(onMessage: (payload: string) => void): Promise<() => Promise<void>> {
    return this.listen(`${this.fanout}celery.pidbox`, false, (_channel, payload) => onMessage(payload));
  }

  /** SMEMBERS the exchange's bindings, LPUSH to each queue bound with `routingKey`. */
  reply(exchange: string, routingKey: string, payload: string): Promise<void> {
    return guard("reply", async () => {
      const bindings = await this.redis.smembers(`${this.prefix}_kombu.binding.${exchange}`);
      const queues = bindings.map((b) => b.split(SEP)).filter(([rk]) => rk === routingKey).map((b) => b[2]);
      if (!queues.length) return;
      const p = this.redis.pipeline();
      for (const q of new Set(queues)) p.lpush(`${this.prefix}${q}`, payload);
      await p.exec();
    });
  }

  async broadcast(payload: string, oid: string, timeoutMs: number, limit = Infinity): Promise<string[]> {
    const queue = `${oid}.reply.celery.pidbox`;
    const binding = `${this.prefix}_kombu.binding.reply.celery.pidbox`;
    const member = `${oid}${SEP}${SEP}${queue}`;
    const waiter = sidecar(this.redis);
    const out: string[] = [];
    try {
      await guard("broadcast", async () => {
        await this.redis.multi().sadd(binding, member).publish(`${this.fanout}celery.pidbox`, payload).exec();
      });
      const deadline = Date.now() + timeoutMs;
      for (let left = timeoutMs; left > 0 && out.length < limit; left = deadline - Date.now()) {
        const got = await withDeadline(waiter.brpop(`${this.prefix}${queue}`, Math.max(0.01, left / 1000)), left + this.timeoutMs, "BRPOP");
        if (got) out.push(got[1]);
      }
      return out;
    } finally {
      waiter.disconnect();
      await this.redis.multi().srem(binding, member).del(`${this.prefix}${queue}`).exec().catch(() => {});
    }
  }

  // One side connection per listener: (P)SUBSCRIBE, resolve once subscribed.
  private async listen(channel: string, pattern: boolean, fn: (channel: string, payload: string) => void): Promise<() => Promise<void>> {
    const sub = sidecar(this.redis);
    if (pattern) sub.on("pmessage", (_p: string, ch: string, msg: string) => fn(ch, msg));
    else sub.on("message", (ch: string, msg: string) => fn(ch, msg));
    try {
      await guard("subscribe", () => withDeadline(pattern ? sub.psubscribe(channel) : sub.subscribe(channel), this.timeoutMs, "subscribe"));
    } catch (err) {
      sub.disconnect();
      throw err;
    }
    return async () => sub.disconnect();
  }
}

/** `celery purge` for one queue: LLEN and DEL of its lists (every priority step) in one MULTI. */
export function purgeOn(redis: Redis, keys: BrokerKeys, queue: string): Promise<number> {
  return guard("purge", async () => {
    const tx = redis.multi();
    for (const step of PRIORITY_STEPS) tx.llen(keys.queue(queue, step));
    for (const step of PRIORITY_STEPS) tx.del(keys.queue(queue, step));
    const replies = (await tx.exec()) ?? [];
    return replies.slice(0, PRIORITY_STEPS.length).reduce((n, [, x]) => n + Number(x), 0);
  });
}
