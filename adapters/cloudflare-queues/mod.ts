/**
 * Cloudflare Queues: a push broker (producer bindings) and the batch consumer.
 * @example
 * ```ts
 * const app = new Celeriac("tasks", { broker: cloudflareQueuesBroker({ queues: env.JOBS }), backend });
 * export default { queue: (batch) => consumeBatch(app.worker(), batch) };
 * ```
 * @module
 */
export {
  CloudflareQueuesBroker, cloudflareQueuesBroker, MAX_BATCH_BYTES, MAX_BATCH_MESSAGES, MAX_DELAY_SECONDS, MAX_MESSAGE_BYTES,
  type CloudflareQueuesBrokerOptions, type QueueProducer, type QueueSendRequest,
} from "./broker.ts";
export {
  consumeBatch, type ConsumeOptions, type ConsumeReport, type QueueBatch, type QueueDeadLetter, type QueueMessage,
} from "./consumer.ts";
