/**
 * Shared set-up of the interop suites: a real Redis, our Upstash-compatible endpoint, a celeriac
 * app on kombu's layout and (optionally) a real `celery worker` subprocess consuming `py*`
 * queues, all under one unique key prefix that is deleted afterwards.
 */
import type { ChildProcess } from "node:child_process";
import { Redis } from "@upstash/redis";
import { Redis as IORedis } from "ioredis";
import { Celeriac } from "../../mod.ts";
import { upstashRedisBackend, upstashRedisBroker } from "../../adapters/upstash-redis/mod.ts";
import type { UpstashRedisBrokerOptions } from "../../adapters/upstash-redis/broker.ts";
import { startDevServer, type DevServer } from "../../workers/node/dev-server.ts";
import { PythonCelery, requirePythonCelery, type CeleryWorkerOptions, type ResultLike } from "../support/celery-worker.ts";
import { deleteByPrefix, ensureRedis, uniquePrefix, type TestRedis } from "../support/redis.ts";

export { PY, PythonCelery, requirePythonCelery, type CeleryWorkerOptions, type ResultLike } from "../support/celery-worker.ts";

/** How the Python worker of a suite is started (`pool` defaults to solo). */
export type PyWorkerOptions = CeleryWorkerOptions;

/** One interop suite's world. */
export interface Interop {
  redis: TestRedis;
  server: DevServer;
  prefix: string;
  app: Celeriac;
  /** A raw client on the same Redis (for inspecting keys). */
  raw: IORedis;
  /** Run pyclient.py with these arguments; its trimmed stdout. */
  py(...args: string[]): Promise<string>;
  /** Python `AsyncResult(id).get()` as pyclient prints it. */
  pyGet(id: string, timeout?: number): Promise<Record<string, unknown>>;
  /** Result ids (or handles, parents and members included) to delete afterwards (Celery 5.2's result keys have no prefix). */
  track(...ids: Array<string | ResultLike>): void;
  /** Start a celery worker (one per suite), resolving once it consumes. */
  startPyWorker(opts: PyWorkerOptions): Promise<ChildProcess>;
  /** The Python worker's log so far. */
  pyLog(): string;
  /** A new celeriac app on the same broker and backend (e.g. with other broker options). */
  newApp(broker?: Partial<UpstashRedisBrokerOptions>): Celeriac;
  close(): Promise<void>;
}

/** Build the world; the caller registers `close` in `afterAll`. */
export async function setupInterop(name: string): Promise<Interop> {
  await requirePythonCelery();
  const redis = await ensureRedis();
  const server = await startDevServer({ port: 0, redisUrl: redis.url });
  const prefix = uniquePrefix(`interop-${name}`);
  const client = new Redis({ url: server.url, token: server.token, enableTelemetry: false });
  const raw = new IORedis(redis.url, { maxRetriesPerRequest: 1 });
  const python = new PythonCelery({ brokerUrl: redis.url, backendUrl: redis.url, prefix });
  const newApp = (broker: Partial<UpstashRedisBrokerOptions> = {}): Celeriac =>
    new Celeriac("interop", {
      // ETA messages go on the queue itself, as Celery does, so Python workers see them.
      broker: upstashRedisBroker({ redis: client, prefix, eta: "queue", ...broker }),
      // Celery 5.2's result backend has no key prefix, so results use the plain Celery keys.
      backend: upstashRedisBackend({ redis: client }),
      conf: { resultExpires: 600 }, // unprefixed result keys this test cannot list expire soon
    });
  const py = (...args: string[]): Promise<string> => python.py(...args);
  return {
    redis, server, prefix, raw, app: newApp(), py,
    pyGet: async (id, timeout = 20) => JSON.parse(await py("get", id, String(timeout))) as Record<string, unknown>,
    track: (...ids) => python.track(...ids),
    pyLog: () => python.log(),
    newApp,
    startPyWorker: (opts) => python.startWorker(opts),
    async close() {
      await python.close();
      await deleteByPrefix(redis.url, prefix);
      raw.disconnect();
      await server.close();
      await redis.stop();
    },
  };
}

/** Drain the celeriac worker until `done()` holds (generous deadline, no timing assumptions). */
export async function drainUntil(app: Celeriac, done: () => Promise<boolean>, deadlineMs = 45_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!(await done())) {
    if (Date.now() > end) throw new Error(`condition not met within ${deadlineMs} ms`);
    await app.worker().drain({ budgetMs: 1000 });
    await new Promise((r) => setTimeout(r, 50));
  }
}
