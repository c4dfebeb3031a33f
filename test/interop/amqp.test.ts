import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Celeriac, TaskError } from "../../mod.ts";
import { amqpBroker, type AmqpBroker } from "../../adapters/amqp/mod.ts";
import { redisBackend } from "../../adapters/redis/mod.ts";
import { connect } from "amqplib";
import { AMQP_URL, deleteAll } from "../support/amqp.ts";
import { PythonCelery, requirePythonCelery } from "../support/celery-worker.ts";
import { celeriacCanvasOnPython, pythonSendsToCeleriac, registerTsTasks } from "./both-ways.ts";
import { ensureRedis, type TestRedis } from "../support/redis.ts";

// Python Celery 5.2 on pyamqp:// and celeriac's AMQP adapter on one RabbitMQ, results in one
// Redis (Celery's backend keys): each side runs the other's tasks, chains and chords cross.
// Queue names are unique per run (the vhost is shared) and the same on both sides.
const run = randomUUID().slice(0, 8);
const Q = `celeriac-it-${run}`;
const PYQ = `py-it-${run}`;

let redis: TestRedis;
let broker: AmqpBroker;
let app: Celeriac;
let python: PythonCelery;
let stop: AbortController;
let loop: Promise<void>;
const py = (...args: string[]): Promise<string> => python.py(...args);

beforeAll(async () => {
  await requirePythonCelery("amqp");
  redis = await ensureRedis();
  python = new PythonCelery({ brokerUrl: `py${AMQP_URL}`, backendUrl: redis.url, defaultQueue: Q });
  broker = amqpBroker(AMQP_URL);
  app = new Celeriac("interop-amqp", { broker, backend: redisBackend(redis.url), conf: { defaultQueue: Q, resultExpires: 600 } });
  registerTsTasks(app);
  stop = new AbortController();
  loop = app.worker({ concurrency: 4, queues: [Q] }).run({ signal: stop.signal });
  await python.startWorker({ queues: [PYQ] });
}, 90_000);

afterAll(async () => {
  stop?.abort();
  await loop;
  await python?.close();
  const names = [...new Set([Q, PYQ, ...(broker?.declared() ?? [])])];
  await broker?.close();
  await app?.backend.close?.();
  await deleteAll(AMQP_URL, names);
  await redis?.stop();
}, 30_000);

describe("interop with Python Celery 5.2 on RabbitMQ (pyamqp)", () => {
  it("celeriac publishes the properties and headers Celery 5.2.6 publishes", async () => {
    const probe = `${PYQ}-probe`;
    await py("send", "py.add", "[1, 2]", "{}", JSON.stringify({ queue: probe, expires: 600 }));
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
    python.track(ok.id, later.id, bad.id);
    expect(await ok.get({ timeout: 30_000 })).toBe(5);
    expect(await later.get({ timeout: 30_000 })).toBe(10);
    const err = (await bad.get({ timeout: 30_000 }).catch((e) => e)) as TaskError;
    expect(err).toBeInstanceOf(TaskError);
    expect(err.name).toBe("ValueError");
  }, 60_000);

  it("celeriac runs what Python send_task sends; Python reads the results", async () => {
    await pythonSendsToCeleriac(python);
  }, 60_000);

  it("a celeriac chain and chord across Python workers, the chord body on celeriac", async () => {
    await celeriacCanvasOnPython(app, python, PYQ);
  }, 60_000);

  it("a Python chain hops between celeriac and Python; a Python chord with celeriac members fires its Python body", async () => {
    const last = await py("chain", JSON.stringify([["ts.mul", [2, 3], {}, Q], ["py.add", [4], {}, PYQ], ["ts.mul", [2], {}, Q]]));
    const bodyId = await py("chord", "ts.mul", "[[1, 2], [3, 4], [5, 6]]", "py.xsum", PYQ);
    python.track(last, bodyId);
    expect(JSON.parse(await py("get", last, "30"))).toEqual({ state: "SUCCESS", result: 20 });
    expect(await app.AsyncResult(bodyId).get({ timeout: 30_000 })).toBe(2 + 12 + 30);
  }, 60_000);
});
