// Running the `celeriac` CLI as users do, for integration tests: real child processes
// (`tsx workers/node/cli.ts ...`) on test/fixtures/cli-app.ts, sharing queues and results with
// the test process through the local Upstash-compatible endpoint and a real Redis.
import { spawn, type ChildProcess } from "node:child_process";
import process from "node:process";
import { setTimeout as delay } from "node:timers/promises";
import { Redis } from "@upstash/redis";
import { afterAll, beforeAll } from "vitest";
import { Celeriac } from "../../mod.ts";
import { upstashRedis } from "../../adapters/upstash-redis/mod.ts";
import { startDevServer, type DevServer } from "../../workers/node/dev-server.ts";
import { deleteByPrefix, ensureRedis, uniquePrefix, type TestRedis } from "./redis.ts";

/** The fixture module every CLI test loads with `-A`. */
export const APP = "test/fixtures/cli-app.ts";

/** A running `celeriac` child process. */
export interface Cli {
  child: ChildProcess;
  out: { stdout: string; stderr: string };
  /** Resolves to the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Waits until stderr matches `re` and returns the match. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}

/** A finished `celeriac` run. */
export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** What `useCli` gives a test file. */
export interface CliHarness {
  /**
   * Start `celeriac <args>` in its own process group (afterAll kills leftovers). Through the tsx
   * wrapper by default; `{ inProcess: true }` loads tsx into the CLI's own process (`node --import
   * tsx`), so signals reach the CLI alone, without the wrapper's timed relay.
   */
  cli(args: string[], prefix: string, env?: Record<string, string>, opts?: { inProcess?: boolean }): Cli;
  /** `celeriac <args>` to completion. */
  run(args: string[], prefix?: string, env?: Record<string, string>): Promise<Ran>;
  /** A fresh key prefix and an app on it for the test process. */
  testApp(name: string): { prefix: string; app: Celeriac };
  /** The local Upstash-compatible endpoint the children talk to. */
  endpoint(): { url: string; token: string };
}

/** Start Redis and the endpoint in beforeAll; kill children and delete keys in afterAll. */
export function useCli(name: string): CliHarness {
  const runPrefix = uniquePrefix(name);
  const running = new Set<ChildProcess>();
  let redis: TestRedis;
  let server: DevServer;
  let n = 0;

  beforeAll(async () => {
    redis = await ensureRedis();
    server = await startDevServer({ port: 0, redisUrl: redis.url });
  });

  afterAll(async () => {
    for (const child of running) {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch { /* already gone */ }
    }
    await deleteByPrefix(redis.url, runPrefix);
    await server?.close();
    await redis?.stop();
  });

  const cli = (args: string[], prefix: string, env: Record<string, string> = {}, opts: { inProcess?: boolean } = {}): Cli => {
    const [cmd, pre] = opts.inProcess ? [process.execPath, ["--import", "tsx"]] : ["node_modules/.bin/tsx", []];
    const child = spawn(cmd, [...pre, "workers/node/cli.ts", ...args], {
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env, UPSTASH_REDIS_REST_URL: server.url, UPSTASH_REDIS_REST_TOKEN: server.token,
        CELERIAC_REDIS_PREFIX: prefix, ...env,
      },
    });
    running.add(child);
    const out = { stdout: "", stderr: "" };
    child.stdout!.on("data", (b: Buffer) => (out.stdout += b.toString()));
    child.stderr!.on("data", (b: Buffer) => (out.stderr += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("close", (code) => {
      running.delete(child);
      resolve(code);
    }));
    const waitFor = async (re: RegExp, timeoutMs = 15_000): Promise<RegExpMatchArray> => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = out.stderr.match(re);
        if (m) return m;
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`no ${re} in:\n${out.stderr}${out.stdout}`);
        await delay(25);
      }
    };
    return { child, out, exited, waitFor };
  };

  return {
    cli,
    run: async (args, prefix = "unused:", env = {}) => {
      const c = cli(args, prefix, env);
      return { code: await c.exited, ...c.out };
    },
    endpoint: () => ({ url: server.url, token: server.token }),
    testApp: (appName) => {
      const prefix = `${runPrefix}${++n}:`;
      const client = new Redis({ url: server.url, token: server.token, enableTelemetry: false });
      return { prefix, app: new Celeriac(appName, upstashRedis({ redis: client, prefix })) };
    },
  };
}
