/**
 * Shared set-up of the interop suites: a real Redis, our Upstash-compatible endpoint, a celeriac
 * app on kombu's layout and (optionally) a real `celery worker` subprocess consuming `py*`
 * queues, all under one unique key prefix that is deleted afterwards.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { promisify } from "node:util";
import { Redis } from "@upstash/redis";
import { Redis as IORedis } from "ioredis";
import { Celeriac } from "../../mod.ts";
import { upstashRedisBackend, upstashRedisBroker } from "../../adapters/upstash-redis/mod.ts";
import type { UpstashRedisBrokerOptions } from "../../adapters/upstash-redis/broker.ts";
import { startDevServer, type DevServer } from "../../workers/node/dev-server.ts";
import { deleteByPrefix, ensureRedis, uniquePrefix, type TestRedis } from "../support/redis.ts";

const run = promisify(execFile);
export const PY = "/usr/bin/python3";
const cwd = new URL(".", import.meta.url).pathname;

/** How the Python worker of a suite is started (`pool` defaults to solo). */
export interface PyWorkerOptions {
  queues: string[];
  pool?: "solo" | "prefork";
  concurrency?: number;
  /** Extra environment, e.g. `{ VISIBILITY_TIMEOUT: "5" }` (read by pyapp.py). */
  env?: Record<string, string>;
}

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
  /** Result ids to delete afterwards (Celery 5.2's result keys have no prefix). */
  track(...ids: string[]): void;
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
  try {
    await run(PY, ["-c", "import celery, redis"]);
  } catch {
    throw new Error("Python Celery is missing: install it with `apt-get install -y python3-celery python3-redis`");
  }
  const redis = await ensureRedis();
  const server = await startDevServer({ port: 0, redisUrl: redis.url });
  const prefix = uniquePrefix(`interop-${name}`);
  const client = new Redis({ url: server.url, token: server.token, enableTelemetry: false });
  const raw = new IORedis(redis.url, { maxRetriesPerRequest: 1 });
  const ids: string[] = [];
  const workers: ChildProcess[] = [];
  let log = "";
  const newApp = (broker: Partial<UpstashRedisBrokerOptions> = {}): Celeriac =>
    new Celeriac("interop", {
      // ETA messages go on the queue itself, as Celery does, so Python workers see them.
      broker: upstashRedisBroker({ redis: client, prefix, eta: "queue", ...broker }),
      // Celery 5.2's result backend has no key prefix, so results use the plain Celery keys.
      backend: upstashRedisBackend({ redis: client }),
      conf: { resultExpires: 600 }, // unprefixed result keys this test cannot list expire soon
    });
  const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
    ...process.env, BROKER_URL: redis.url, BACKEND_URL: redis.url, CELERIAC_PREFIX: prefix, PYTHONPATH: cwd, ...extra,
  });
  const py = async (...args: string[]): Promise<string> => {
    const { stdout } = await run(PY, ["pyclient.py", ...args], { cwd, env: env(), timeout: 60_000 });
    return stdout.trim();
  };
  const world: Interop = {
    redis, server, prefix, raw, app: newApp(), py,
    pyGet: async (id, timeout = 20) => JSON.parse(await py("get", id, String(timeout))) as Record<string, unknown>,
    track: (...more) => void ids.push(...more),
    pyLog: () => log,
    newApp,
    async startPyWorker(opts) {
      const pool = opts.pool ?? "solo";
      const child = spawn(PY, [
        "-m", "celery", "-A", "pyapp", "worker", `--pool=${pool}`, ...(pool === "prefork" ? ["-c", String(opts.concurrency ?? 2)] : []),
        "-Q", opts.queues.join(","), "--without-mingle", "--without-gossip", "--without-heartbeat", "--loglevel=INFO",
        "-n", `py-${prefix.slice(-9, -1)}-${workers.length}@localhost`,
      ], { cwd, env: env(opts.env), stdio: ["ignore", "ignore", "pipe"] });
      workers.push(child);
      child.stderr!.on("data", (chunk) => (log += chunk));
      // "ready." is logged once the consumer is up (INFO level).
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`celery worker not ready after 60 s:\n${log}`)), 60_000);
        const onData = (): void => {
          if (/ready\./.test(log)) clearTimeout(timer), child.stderr!.off("data", onData), resolve();
        };
        child.stderr!.on("data", onData);
        child.once("exit", (code) => (clearTimeout(timer), reject(new Error(`celery worker exited with ${code}:\n${log}`))));
      });
      return child;
    },
    async close() {
      for (const w of workers) {
        if (w.exitCode !== null || w.signalCode !== null) continue;
        w.removeAllListeners("exit");
        const exited = new Promise((r) => w.once("exit", r));
        w.kill("SIGTERM");
        await exited;
      }
      await deleteByPrefix(redis.url, prefix);
      for (const id of ids) await deleteByPrefix(redis.url, `celery-task-meta-${id}`);
      raw.disconnect();
      await server.close();
      await redis.stop();
    },
  };
  return world;
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
