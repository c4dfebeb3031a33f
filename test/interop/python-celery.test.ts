import { execFile, spawn, type ChildProcess } from "node:child_process";
import { promisify } from "node:util";
import { Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Celeriac, chain, chord, TaskError, type GroupResult } from "../../mod.ts";
import { upstashRedisBackend, upstashRedisBroker } from "../../adapters/upstash-redis/mod.ts";
import { startDevServer, type DevServer } from "../../workers/node/dev-server.ts";
import { deleteByPrefix, ensureRedis, uniquePrefix, type TestRedis } from "../support/redis.ts";

// Real Python Celery 5 (Debian's python3-celery) and celeriac on one Redis: each sends work the
// other runs, and each reads the other's results. Broker keys use kombu's global_keyprefix.
const run = promisify(execFile);
const PY = "/usr/bin/python3";
const cwd = new URL(".", import.meta.url).pathname;

let redis: TestRedis;
let server: DevServer;
let prefix: string;
let pyWorker: ChildProcess;
let pyLog = "";
let app: Celeriac;
const resultIds: string[] = [];

function pyEnv(): NodeJS.ProcessEnv {
  return { ...process.env, BROKER_URL: redis.url, BACKEND_URL: redis.url, CELERIAC_PREFIX: prefix, PYTHONPATH: cwd };
}

async function py(...args: string[]): Promise<string> {
  const { stdout, stderr } = await run(PY, ["pyclient.py", ...args], { cwd, env: pyEnv(), timeout: 60_000 });
  // Every task id of a canvas Python sent, so afterAll deletes their (unprefixed) results too.
  for (const m of stderr.matchAll(/^ids: (.*)$/gm)) resultIds.push(...m[1]!.trim().split(/\s+/));
  return stdout.trim();
}

beforeAll(async () => {
  try {
    await run(PY, ["-c", "import celery, redis"]);
  } catch {
    throw new Error("Python Celery is missing: install it with `apt-get install -y python3-celery python3-redis`");
  }
  redis = await ensureRedis();
  server = await startDevServer({ port: 0, redisUrl: redis.url });
  prefix = uniquePrefix("interop");
  const client = new Redis({ url: server.url, token: server.token, enableTelemetry: false });
  // Celery 5.2's result backend has no key prefix, so results use the plain Celery keys.
  app = new Celeriac("interop", {
    // ETA messages go on the queue itself, as Celery does, so Python workers see them.
    broker: upstashRedisBroker({ redis: client, prefix, eta: "queue" }),
    backend: upstashRedisBackend({ redis: client }),
    conf: { resultExpires: 600 }, // unprefixed result keys this test cannot list expire soon
  });
  app.task("ts.mul", (a: number, b: number) => a * b);
  app.task("ts.fail", () => {
    throw new TypeError("ts says no");
  });
  pyWorker = spawn(PY, [
    "-m", "celery", "-A", "pyapp", "worker", "--pool=solo", "-Q", "py", "--without-mingle", "--without-gossip",
    "--without-heartbeat", "--loglevel=WARNING", "-n", `py-${prefix.slice(-9, -1)}@localhost`,
  ], { cwd, env: pyEnv(), stdio: ["ignore", "ignore", "pipe"] });
  // Keep the worker's log (task tracebacks are expected here); show it only if it dies early.
  pyWorker.stderr!.on("data", (chunk) => (pyLog += chunk));
  pyWorker.once("exit", (code) => {
    if (code) console.error(`python celery worker exited with ${code}:\n${pyLog}`);
  });
}, 60_000);

afterAll(async () => {
  if (pyWorker?.pid && pyWorker.exitCode === null) {
    pyWorker.removeAllListeners("exit");
    const exited = new Promise((r) => pyWorker.once("exit", r));
    pyWorker.kill("SIGTERM");
    await exited;
  }
  if (redis) {
    await deleteByPrefix(redis.url, prefix);
    for (const id of resultIds) {
      await deleteByPrefix(redis.url, `celery-task-meta-${id}`);
      await deleteByPrefix(redis.url, `celery-taskset-meta-${id}`);
    }
  }
  await server?.close();
  await redis?.stop();
}, 30_000);

describe("interop with Python Celery 5.2", () => {
  it("a Python worker runs tasks sent by celeriac, kwargs included, and celeriac reads the results", async () => {
    const r1 = await app.sendTask("py.add", [2, 3], { queue: "py" });
    const r2 = await app.sendTask("py.scale", [3], { queue: "py", kwargs: { factor: 4 } });
    resultIds.push(r1.id, r2.id);
    expect(await r1.get({ timeout: 30_000 })).toBe(5);
    expect(await r2.get({ timeout: 30_000 })).toBe(12);
  }, 60_000);

  it("a Python worker honours the countdown of a task sent by celeriac", async () => {
    const sent = Date.now();
    const r = await app.sendTask("py.add", [5, 5], { queue: "py", countdown: 1.5 });
    resultIds.push(r.id);
    expect(await r.get({ timeout: 30_000 })).toBe(10);
    const done = Date.parse(`${(await r.meta())!.date_done}Z`);
    expect(done - sent).toBeGreaterThanOrEqual(1400);
  }, 60_000);

  it("a Python failure is re-thrown by celeriac with the Python exception type", async () => {
    const r = await app.sendTask("py.fail", ["boom"], { queue: "py" });
    resultIds.push(r.id);
    const err = (await r.get({ timeout: 30_000 }).catch((e) => e)) as TaskError;
    expect(err).toBeInstanceOf(TaskError);
    expect(err.name).toBe("ValueError");
    expect(err.excModule).toBe("builtins");
    expect(err.message).toBe("boom");
  }, 60_000);

  it("a celeriac worker runs tasks sent by Python send_task, and Python reads the results", async () => {
    const ok = await py("send", "ts.mul", "[6, 7]");
    const bad = await py("send", "ts.fail", "[]");
    resultIds.push(ok, bad);
    await app.worker().drain();
    expect(JSON.parse(await py("get", ok))).toEqual({ state: "SUCCESS", result: 42 });
    expect(JSON.parse(await py("get", bad))).toMatchObject({ state: "FAILURE", error: "TypeError", message: "ts says no" });
  }, 60_000);

  it("a celeriac chain and chord run on Python workers, the chord body back on celeriac", async () => {
    const pyAdd = app.signature("py.add").set({ queue: "py" });
    const c = await chain(pyAdd.clone([1, 2]), app.signature("py.scale", [], { factor: 10 }).set({ queue: "py" })).delay();
    expect(await c.get({ timeout: 30_000 })).toBe(30);
    app.task("ts.xsum", (xs: number[]) => xs.reduce((a, b) => a + b, 0));
    const body = await chord([pyAdd.clone([1, 1]), pyAdd.clone([2, 2]), pyAdd.clone([3, 3])], app.signature("ts.xsum")).delay();
    resultIds.push(c.id, c.parent!.id, body.id, body.parent!.id, ...(body.parent as GroupResult).results.map((r) => r.id));
    for (let i = 0; i < 100 && !(await body.ready()); i++) {
      await app.worker().drain();
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await body.get({ timeout: 1000 })).toBe(12);
  }, 60_000);

  it("a Python chain hops between celeriac and Python workers", async () => {
    const steps = [["ts.mul", [2, 3], {}, "celery"], ["py.scale", [], { factor: 10 }, "py"], ["ts.mul", [2], {}, "celery"]];
    const last = await py("chain", JSON.stringify(steps));
    resultIds.push(last);
    for (let i = 0; i < 100 && !(await app.AsyncResult(last).ready()); i++) {
      await app.worker().drain();
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(JSON.parse(await py("get", last))).toEqual({ state: "SUCCESS", result: 120 });
  }, 60_000);

  it("a Python chord with celeriac header members fires its Python body once", async () => {
    const bodyId = await py("chord", "ts.mul", "[[1, 2], [3, 4], [5, 6]]", "py.xsum", "py");
    resultIds.push(bodyId);
    await app.worker().drain();
    expect(await app.AsyncResult(bodyId).get({ timeout: 30_000 })).toBe(2 + 12 + 30);
  }, 60_000);
});
