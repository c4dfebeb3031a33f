import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Celeriac, chain, chord, TaskError } from "../../mod.ts";
import { amqpBroker, type AmqpBroker } from "../../adapters/amqp/mod.ts";
import { redisBackend } from "../../adapters/redis/mod.ts";
import { connect } from "amqplib";
import { AMQP_URL, deleteAll } from "../support/amqp.ts";
import { deleteByPrefix, ensureRedis, type TestRedis } from "../support/redis.ts";

// Python Celery 5.2 on pyamqp:// and celeriac's AMQP adapter on one RabbitMQ, results in one
// Redis (Celery's backend keys): each side runs the other's tasks, chains and chords cross.
// Queue names are unique per run (the vhost is shared) and the same on both sides.
const exec = promisify(execFile);
const PY = "/usr/bin/python3";
const cwd = new URL(".", import.meta.url).pathname;
const run = randomUUID().slice(0, 8);
const Q = `celeriac-it-${run}`;
const PYQ = `py-it-${run}`;

let redis: TestRedis;
let broker: AmqpBroker;
let app: Celeriac;
let pyWorker: ChildProcess;
let pyLog = "";
let stop: AbortController;
let loop: Promise<void>;
const resultIds: string[] = [];

const pyEnv = (): NodeJS.ProcessEnv => ({ ...process.env, BROKER_URL: `py${AMQP_URL}`, BACKEND_URL: redis.url, CELERIAC_QUEUE: Q, PYTHONPATH: cwd });

async function py(...args: string[]): Promise<string> {
  const { stdout } = await exec(PY, ["amqp_py.py", ...args], { cwd, env: pyEnv(), timeout: 60_000 });
  return stdout.trim();
}

beforeAll(async () => {
  try {
    await exec(PY, ["-c", "import celery, amqp, redis"]);
  } catch {
    throw new Error("Python Celery is missing: install it with `apt-get install -y python3-celery python3-redis python3-amqp`");
  }
  redis = await ensureRedis();
  broker = amqpBroker(AMQP_URL);
  app = new Celeriac("interop-amqp", { broker, backend: redisBackend(redis.url), conf: { defaultQueue: Q, resultExpires: 600 } });
  app.task("ts.mul", (a: number, b: number) => a * b);
  app.task("ts.fail", () => {
    throw new TypeError("ts says no");
  });
  app.task("ts.xsum", (xs: number[]) => xs.reduce((a, b) => a + b, 0));
  stop = new AbortController();
  loop = app.worker({ concurrency: 4, queues: [Q] }).run({ signal: stop.signal });
  pyWorker = spawn(PY, [
    "-m", "celery", "-A", "amqp_py", "worker", "--pool=solo", "-Q", PYQ, "--without-mingle", "--without-gossip",
    "--without-heartbeat", "--loglevel=WARNING", "-n", `pyamqp-${run}@localhost`,
  ], { cwd, env: pyEnv(), stdio: ["ignore", "ignore", "pipe"] });
  pyWorker.stderr!.on("data", (chunk) => (pyLog += chunk));
  pyWorker.once("exit", (code) => {
    if (code) console.error(`python celery worker exited with ${code}:\n${pyLog}`);
  });
}, 60_000);

afterAll(async () => {
  stop?.abort();
  await loop;
  if (pyWorker?.pid && pyWorker.exitCode === null) {
    pyWorker.removeAllListeners("exit");
    const exited = new Promise((r) => pyWorker.once("exit", r));
    pyWorker.kill("SIGTERM");
    await exited;
  }
  const names = [...new Set([Q, PYQ, ...(broker?.declared() ?? [])])];
  await broker?.close();
  await app?.backend.close?.();
  await deleteAll(AMQP_URL, names);
  if (redis) for (const id of resultIds) await deleteByPrefix(redis.url, `celery-task-meta-${id}`);
  await redis?.stop();
}, 30_000);

describe("interop with Python Celery 5.2 on RabbitMQ (pyamqp)", () => {
  it("celeriac publishes the properties and headers Celery 5.2.6 publishes", async () => {
    const probe = `${PYQ}-probe`;
    await py("send_to", probe, "py.add", "[1, 2]");
    await app.sendTask("py.add", [1, 2], { queue: probe, expires: 600 });
    const conn = await connect(AMQP_URL);
    try {
      const ch = await conn.createChannel();
      const [fromPy, fromTs] = [await ch.get(probe, { noAck: true }), await ch.get(probe, { noAck: true })];
      await ch.deleteQueue(probe);
      await ch.deleteExchange(probe);
      if (!fromPy || !fromTs) throw new Error("probe messages missing");
      const shape = (m: typeof fromPy) => ({
        exchange: m.fields.exchange, routingKey: m.fields.routingKey, contentType: m.properties.contentType,
        contentEncoding: m.properties.contentEncoding, deliveryMode: m.properties.deliveryMode,
        correlationIsId: m.properties.correlationId === m.properties.headers!.id, expires: typeof m.properties.expiration,
        headers: Object.keys(m.properties.headers!).sort(), body: JSON.parse(m.content.toString()),
      });
      expect(shape(fromTs)).toEqual(shape(fromPy));
      expect(fromTs.properties.headers!.lang).toBe("js");
    } finally {
      await conn.close();
    }
  }, 60_000);

  it("Python runs what celeriac sends, countdown included; celeriac gets results and the Python exception type", async () => {
    const ok = await app.sendTask("py.add", [2, 3], { queue: PYQ });
    const later = await app.sendTask("py.add", [5, 5], { queue: PYQ, countdown: 1 });
    const bad = await app.sendTask("py.fail", ["boom"], { queue: PYQ });
    resultIds.push(ok.id, later.id, bad.id);
    expect(await ok.get({ timeout: 30_000 })).toBe(5);
    expect(await later.get({ timeout: 30_000 })).toBe(10);
    const err = (await bad.get({ timeout: 30_000 }).catch((e) => e)) as TaskError;
    expect(err).toBeInstanceOf(TaskError);
    expect(err.name).toBe("ValueError");
  }, 60_000);

  it("celeriac runs what Python send_task sends; Python reads the results", async () => {
    const ok = await py("send", "ts.mul", "[6, 7]");
    const bad = await py("send", "ts.fail", "[]");
    resultIds.push(ok, bad);
    expect(JSON.parse(await py("get", ok, "30"))).toEqual({ state: "SUCCESS", result: 42 });
    expect(JSON.parse(await py("get", bad, "30"))).toMatchObject({ state: "FAILURE", error: "TypeError", message: "ts says no" });
  }, 60_000);

  it("a celeriac chain and chord across Python workers, the chord body on celeriac", async () => {
    const pyAdd = app.signature("py.add").set({ queue: PYQ });
    const c = await chain(pyAdd.clone([1, 2]), app.signature("ts.mul", [10])).delay();
    const body = await chord([pyAdd.clone([1, 1]), app.signature("ts.mul", [2, 2]), pyAdd.clone([3, 3])], app.signature("ts.xsum")).delay();
    resultIds.push(c.id, body.id);
    expect(await c.get({ timeout: 30_000 })).toBe(30);
    expect(await body.get({ timeout: 30_000 })).toBe(2 + 4 + 6);
  }, 60_000);

  it("a Python chain hops between celeriac and Python; a Python chord with celeriac members fires its Python body", async () => {
    const last = await py("chain", JSON.stringify([["ts.mul", [2, 3], {}, Q], ["py.add", [4], {}, PYQ], ["ts.mul", [2], {}, Q]]));
    const bodyId = await py("chord", "ts.mul", "[[1, 2], [3, 4], [5, 6]]", "py.xsum", PYQ);
    resultIds.push(last, bodyId);
    expect(JSON.parse(await py("get", last, "30"))).toEqual({ state: "SUCCESS", result: 20 });
    expect(await app.AsyncResult(bodyId).get({ timeout: 30_000 })).toBe(2 + 12 + 30);
  }, 60_000);
});
