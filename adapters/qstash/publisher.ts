/**
 * How the broker reaches QStash: by default plain `fetch` (`fetchPublisher`), or an official
 * `@upstash/qstash` `Client` you pass (`clientPublisher`). Both send the same requests.
 * @module
 */
import { publishHeaders, type PublishRequest, type QStashCall } from "./http.ts";

/**
 * The part of the official `Client` (`@upstash/qstash` ≥ 2.8) the adapter uses; a `Client`
 * satisfies it as it is, without this package importing `@upstash/qstash`.
 */
export interface QStashClientLike {
  publish(request: Omit<PublishRequest, "queueName">): Promise<unknown>;
  batch(requests: PublishRequest[]): Promise<unknown>;
  queue(o: { queueName: string }): {
    upsert(o: { parallelism: number }): Promise<unknown>;
    enqueue(request: Omit<PublishRequest, "queueName">): Promise<unknown>;
  };
  schedules: { create(o: { destination: string; cron: string; scheduleId: string; body: string }): Promise<{ scheduleId: string }> };
}

/** One publishing transport. */
export interface Publisher {
  /** One message: `/v2/publish`, or `/v2/enqueue/<queueName>` when it names a queue. */
  publish(r: PublishRequest, signal: AbortSignal): Promise<void>;
  /** Many messages in one `/v2/batch`. */
  batch(rs: PublishRequest[], signal: AbortSignal): Promise<void>;
  /** Create or update a QStash queue. */
  upsertQueue(name: string, parallelism: number, signal: AbortSignal): Promise<void>;
  /** Create or update a schedule; returns its id. */
  schedule(o: { destination: string; cron: string; scheduleId: string }, signal: AbortSignal): Promise<string>;
}

const JSON_TYPE = { "content-type": "application/json" };

/** The fetch transport: the official Client's wire format for the options celeriac uses. */
export function fetchPublisher(call: QStashCall): Publisher {
  return {
    async publish(r, signal) {
      const path = r.queueName ? `v2/enqueue/${r.queueName}/${r.url}` : `v2/publish/${r.url}`;
      await call(path, { headers: publishHeaders(r), body: r.body, signal });
    },
    async batch(rs, signal) {
      const body = JSON.stringify(rs.map((r) => ({
        destination: r.url, headers: Object.fromEntries(publishHeaders(r)), body: r.body, ...(r.queueName ? { queue: r.queueName } : {}),
      })));
      await call("v2/batch", { headers: JSON_TYPE, body, signal });
    },
    async upsertQueue(queueName, parallelism, signal) {
      await call("v2/queues", { headers: JSON_TYPE, body: JSON.stringify({ queueName, parallelism, paused: false }), signal });
    },
    async schedule(o, signal) {
      const headers = { ...JSON_TYPE, "upstash-cron": o.cron, "upstash-schedule-id": o.scheduleId };
      const text = await call(`v2/schedules/${o.destination}`, { headers, body: "", signal });
      return (JSON.parse(text) as { scheduleId: string }).scheduleId;
    },
  };
}

/** The same calls through an official `Client`. */
export function clientPublisher(client: QStashClientLike): Publisher {
  return {
    async publish({ queueName, ...one }) {
      await (queueName ? client.queue({ queueName }).enqueue(one) : client.publish(one));
    },
    async batch(rs) {
      await client.batch(rs);
    },
    async upsertQueue(queueName, parallelism) {
      await client.queue({ queueName }).upsert({ parallelism });
    },
    async schedule(o) {
      return (await client.schedules.create({ ...o, body: "" })).scheduleId;
    },
  };
}
