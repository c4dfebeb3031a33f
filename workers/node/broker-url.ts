/**
 * `-b/--broker URL` and `--result-backend URL` of `celeriac worker` and `celeriac beat`
 * (Celery's flags): build the adapter a URL names and put it in place of the app's own.
 * `redis://`/`rediss://` → adapters/redis (TCP), `amqp://`/`amqps://`/`pyamqp://` → adapters/amqp,
 * `https://TOKEN@host` → Upstash Redis over REST (token also from `UPSTASH_REDIS_REST_TOKEN`).
 * Both Redis kinds take their key prefix from `CELERIAC_REDIS_PREFIX`, as `fromEnv` does. Adapter modules are
 * imported on demand, so ioredis or amqplib load only when a URL asks for them.
 * @module
 */
import process from "node:process";
import type { Celeriac } from "../../mod.ts";
import { ConfigError } from "../../src/errors.ts";
import type { Broker, ResultBackend } from "../../src/ports.ts";

const SCHEMES = "redis://, rediss://, amqp:// or an Upstash REST URL https://TOKEN@host";

async function upstashFromUrl(url: string, flag: string): Promise<{ broker: Broker; backend: ResultBackend }> {
  const u = new URL(url);
  const token = decodeURIComponent(u.password || u.username) || process.env.UPSTASH_REDIS_REST_TOKEN;
  if (!token) throw new ConfigError(`${flag}: no token: give https://TOKEN@host or set UPSTASH_REDIS_REST_TOKEN`);
  u.username = u.password = "";
  const { fromEnv } = await import("../../adapters/upstash-redis/mod.ts");
  const env = { UPSTASH_REDIS_REST_URL: u.href.replace(/\/$/, ""), UPSTASH_REDIS_REST_TOKEN: token };
  return fromEnv({ ...env, CELERIAC_REDIS_PREFIX: process.env.CELERIAC_REDIS_PREFIX });
}

/** A broker for a `redis://`, `rediss://`, `amqp://`/`amqps://`/`pyamqp://` or Upstash `https://` URL. */
export async function brokerFromUrl(url: string, flag = "-b/--broker"): Promise<Broker> {
  if (/^rediss?:\/\//.test(url)) return (await import("../../adapters/redis/mod.ts")).redisBroker(url, { prefix: process.env.CELERIAC_REDIS_PREFIX });
  if (/^(py)?amqps?:\/\//.test(url)) return (await import("../../adapters/amqp/mod.ts")).amqpBroker(url);
  if (/^https?:\/\//.test(url)) return (await upstashFromUrl(url, flag)).broker;
  throw new ConfigError(`${flag}: unsupported URL ${JSON.stringify(redact(url))}: use ${SCHEMES}`);
}

/** A result backend for a `redis://`, `rediss://` or Upstash `https://` URL. */
export async function backendFromUrl(url: string, flag = "--result-backend"): Promise<ResultBackend> {
  if (/^rediss?:\/\//.test(url)) return (await import("../../adapters/redis/mod.ts")).redisBackend(url, { prefix: process.env.CELERIAC_REDIS_PREFIX });
  if (/^https?:\/\//.test(url)) return (await upstashFromUrl(url, flag)).backend;
  throw new ConfigError(`${flag}: unsupported URL ${JSON.stringify(redact(url))}: use redis://, rediss:// or https://TOKEN@host`);
}

/** Replace the app's broker and/or backend by the ones the URLs name. */
export async function useUrls(app: Celeriac, broker?: string, backend?: string): Promise<void> {
  const target = app as { broker: Broker; backend: ResultBackend };
  if (broker) target.broker = await brokerFromUrl(broker);
  if (backend) target.backend = await backendFromUrl(backend);
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@");
}
