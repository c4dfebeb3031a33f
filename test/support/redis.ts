/**
 * Finds (or starts) a Redis for integration tests. The default Redis on 127.0.0.1:6379 may be
 * shared with CI and other developers: never FLUSHALL/FLUSHDB it; use {@link uniquePrefix}
 * for every key and {@link deleteByPrefix} to clean up.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createServer } from "node:net";
import process from "node:process";
import { Redis } from "ioredis";

/** A Redis the tests may use; `stop()` only stops a server this module started itself. */
export interface TestRedis {
  url: string;
  stop(): Promise<void>;
}

const LOCAL_URL = "redis://127.0.0.1:6379";

/** Uses `$REDIS_URL`, else 127.0.0.1:6379, else a throw-away `redis-server` on a free port. */
export async function ensureRedis(): Promise<TestRedis> {
  const envUrl = process.env.REDIS_URL;
  for (const url of envUrl ? [envUrl, LOCAL_URL] : [LOCAL_URL]) {
    if (await answersPing(url)) return { url, stop: async () => {} };
  }
  return spawnRedis();
}

/** A fresh key prefix, e.g. `celeriac-test:dev-server:1a2b3c4d:`. */
export function uniquePrefix(name: string): string {
  return `celeriac-test:${name}:${randomUUID().slice(0, 8)}:`;
}

/** Deletes every key starting with `prefix` (SCAN, so other keys and other users are untouched). */
export async function deleteByPrefix(redisUrl: string, prefix: string): Promise<void> {
  const client = quietClient(redisUrl);
  try {
    // The prefix is matched literally: escape glob characters it might contain.
    const pattern = `${prefix.replace(/[*?[\]\\]/g, "\\$&")}*`;
    let cursor = "0";
    do {
      const [next, keys] = await client.scan(cursor, "MATCH", pattern, "COUNT", 500);
      if (keys.length > 0) await client.del(...keys);
      cursor = next;
    } while (cursor !== "0");
  } finally {
    client.disconnect();
  }
}

/** A client that reports failures to its caller only: no retries, no queueing, no "unhandled error" logs. */
function quietClient(url: string, connectTimeout = 2000): Redis {
  const client = new Redis(url, {
    connectTimeout,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on("error", () => {});
  return client;
}

async function answersPing(url: string): Promise<boolean> {
  const client = quietClient(url, 1000);
  try {
    return (await client.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("could not find a free port");
  return address.port;
}

/**
 * A throw-away `redis-server` of this test alone, on a free port (`extraArgs` are added to its
 * command line): for tests that need INFO, MONITOR or CLIENT KILL, or send FLUSHALL, CONFIG,
 * SHUTDOWN or scripts that never end.
 */
export async function spawnRedis(extraArgs: string[] = []): Promise<TestRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", ...extraArgs], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.once("spawn", () => resolve());
    child.once("error", (err: NodeJS.ErrnoException) => {
      reject(
        err.code === "ENOENT"
          ? new Error("redis-server not found: install it with `apt-get install -y redis-server` or set REDIS_URL")
          : err,
      );
    });
  });
  // A test run that dies without calling stop() must not leave a Redis behind.
  const killOnExit = (): void => void child.kill();
  process.once("exit", killOnExit);
  const stop = async (): Promise<void> => {
    process.off("exit", killOnExit);
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
  };

  const deadline = Date.now() + 10_000;
  while (!(await answersPing(url))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`redis-server on port ${port} did not come up: ${stderr.trim() || "timed out"}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { url, stop };
}
