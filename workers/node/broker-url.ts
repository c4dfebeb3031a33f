/**
 * `-b URL` / `--result-backend URL` of `celeriac worker` and `celeriac beat` (Celery's flags):
 * build the adapter a URL names and put it in place of the app's own. The adapter modules are
 * imported on demand, so ioredis (or amqplib) is loaded only when a URL asks for it.
 * @module
 */
import type { Celeriac } from "../../mod.ts";
import { ConfigError } from "../../src/errors.ts";
import type { Broker, ResultBackend } from "../../src/ports.ts";

/** A broker for `redis://`, `rediss://` or `amqp://` / `amqps://` / `pyamqp://` URLs. */
export async function brokerFromUrl(url: string): Promise<Broker> {
  if (/^rediss?:\/\//.test(url)) return (await import("../../adapters/redis/mod.ts")).redisBroker(url);
  if (/^(py)?amqps?:\/\//.test(url)) return (await import("../../adapters/amqp/mod.ts")).amqpBroker(url);
  throw new ConfigError(`unsupported broker URL ${JSON.stringify(redact(url))}: use redis://, rediss:// or amqp://`);
}

/** A result backend for `redis://` / `rediss://` URLs. */
export async function backendFromUrl(url: string): Promise<ResultBackend> {
  if (/^rediss?:\/\//.test(url)) return (await import("../../adapters/redis/mod.ts")).redisBackend(url);
  throw new ConfigError(`unsupported result backend URL ${JSON.stringify(redact(url))}: use redis:// or rediss://`);
}

/** Replace the app's broker and/or backend by the ones the URLs name (the CLI's `-b`, `--result-backend`). */
export async function useUrls(app: Celeriac, broker?: string, backend?: string): Promise<void> {
  const target = app as { broker: Broker; backend: ResultBackend };
  if (broker) target.broker = await brokerFromUrl(broker);
  if (backend) target.backend = await backendFromUrl(backend);
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@");
}
