/**
 * Celery's events over Upstash Redis REST (`UpstashRedisBroker.events`): each event is one
 * `PUBLISH <prefix>/<db>.celeryev/<routing key>` command, issued in the same tick as the
 * batch's ack so the client's auto-pipelining sends them in the ack's request (no request of
 * their own). Upstash has no pattern subscriptions and no blocking pops over REST, so this
 * channel neither listens to events nor answers or sends pidbox broadcasts: `celeriac inspect`
 * reads the workers' presence records instead (docs/monitoring.md).
 * @module
 */
import type { Redis } from "@upstash/redis";
import type { EventChannel, FanoutMessage } from "../../src/ports.ts";
import { guard, type CallSite } from "./errors.ts";
import { PRIORITY_STEPS, type BrokerKeys } from "./keys.ts";

/** The publishing side of Celery's event channel on one client, prefix and DB number. */
export class UpstashEvents implements EventChannel {
  private readonly fanout: string;

  /** `db`: the DB number in kombu's channel names (Upstash serves DB 0; `celeriac dev` proxies any). */
  constructor(private readonly redis: Redis, prefix: string, db: number, private readonly site?: CallSite) {
    this.fanout = `${prefix}/${db}.celeryev/`;
  }

  publishEvents(events: FanoutMessage[]): Promise<void> {
    if (!events.length) return Promise.resolve();
    return guard("publishEvents", async () => {
      await Promise.all(events.map((e) => this.redis.publish(`${this.fanout}${e.routingKey}`, e.payload)));
    }, this.site);
  }
}

/** `celery purge` for one queue: LLEN and DEL of its lists (every priority step) in one MULTI. */
export function purgeOn(redis: Redis, keys: BrokerKeys, queue: string, site?: CallSite): Promise<number> {
  return guard("purge", async () => {
    const tx = redis.multi();
    for (const step of PRIORITY_STEPS) tx.llen(keys.queue(queue, step));
    for (const step of PRIORITY_STEPS) tx.del(keys.queue(queue, step));
    const replies = (await tx.exec()) as number[];
    return replies.slice(0, PRIORITY_STEPS.length).reduce((n, x) => n + Number(x), 0);
  }, site);
}
