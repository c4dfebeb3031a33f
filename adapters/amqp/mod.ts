/**
 * RabbitMQ (AMQP 0-9-1, amqplib) as a broker, on kombu's AMQP conventions and with the
 * message properties and headers Celery 5.2.6 sends, so Python Celery workers and producers
 * share the queues. Results go to a result backend (e.g. `celeriac/adapters/redis`).
 *
 * @example
 * ```ts
 * import { Celeriac } from "celeriac";
 * import { amqpBroker } from "celeriac/adapters/amqp";
 * import { redisBackend } from "celeriac/adapters/redis";
 *
 * const app = new Celeriac("tasks", { broker: amqpBroker("amqp://guest:guest@127.0.0.1:5672//"), backend: redisBackend("redis://127.0.0.1:6379/0") });
 * ```
 * @module
 */
export { AmqpBroker, amqpBroker, type AmqpBrokerOptions } from "./broker.ts";
export { delayStep } from "./topology.ts";
