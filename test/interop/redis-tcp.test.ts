import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Celeriac, TaskError } from "../../mod.ts";
import { redisBackend, redisBroker } from "../../adapters/redis/mod.ts";
import { PythonCelery, requirePythonCelery } from "../support/celery-worker.ts";
import { celeriacCanvasOnPython, pythonSendsToCeleriac, registerTsTasks } from "./both-ways.ts";
import { deleteByPrefix, ensureRedis, uniquePrefix, type TestRedis } from "../support/redis.ts";

// Python Celery 5.2 and celeriac's TCP Redis adapter on one plain Redis, both directions. The
// celeriac worker is a long-running run() loop, so tasks Python sends must wake its blocking
// watchers (no polling), and its results reach Python through Celery's own backend keys.
let redis: TestRedis;
let prefix: string;
let python: PythonCelery;
let app: Celeriac;
let stop: AbortController;
let worker: Promise<void>;
const py = (...args: string[]): Promise<string> => python.py(...args);

beforeAll(async () => {
  await requirePythonCelery();
  redis = await ensureRedis();
  prefix = uniquePrefix("interop-tcp");
  python = new PythonCelery({ brokerUrl: redis.url, backendUrl: redis.url, prefix });
  app = new Celeriac("interop-tcp", {
    broker: redisBroker(redis.url, { prefix, eta: "queue" }),
    backend: redisBackend(redis.url), // Celery 5.2's backend keys carry no prefix
    conf: { resultExpires: 600 },
  });
  registerTsTasks(app);
  stop = new AbortController();
  worker = app.worker({ concurrency: 4, queues: ["celery"] }).run({ signal: stop.signal });
  await python.startWorker({ queues: ["py"] });
}, 90_000);

afterAll(async () => {
  stop?.abort();
  await worker;
  await python?.close();
  await app?.broker.close?.();
  await app?.backend.close?.();
  if (redis) await deleteByPrefix(redis.url, prefix);
  await redis?.stop();
}, 30_000);

describe("interop with Python Celery 5.2 on plain Redis (TCP adapter)", () => {
  it("Python runs what celeriac sends; celeriac gets the results and the Python exception type", async () => {
    const ok = await app.sendTask("py.scale", [3], { queue: "py", kwargs: { factor: 4 } });
    const bad = await app.sendTask("py.fail", ["boom"], { queue: "py" });
    python.track(ok.id, bad.id);
    expect(await ok.get({ timeout: 30_000 })).toBe(12);
    const err = (await bad.get({ timeout: 30_000 }).catch((e) => e)) as TaskError;
    expect(err).toBeInstanceOf(TaskError);
    expect(err.name).toBe("ValueError");
  }, 60_000);

  it("an idle celeriac worker wakes for Python send_task; Python reads the results", async () => {
    await pythonSendsToCeleriac(python);
  }, 60_000);

  it("a celeriac chain and chord across Python workers, the chord body on celeriac", async () => {
    await celeriacCanvasOnPython(app, python, "py");
  }, 60_000);

  it("a Python chain hops between celeriac and Python; a Python chord with celeriac members fires its Python body", async () => {
    const steps = [["ts.mul", [2, 3], {}, "celery"], ["py.scale", [], { factor: 10 }, "py"], ["ts.mul", [2], {}, "celery"]];
    const last = await py("chain", JSON.stringify(steps));
    const bodyId = await py("chord", "ts.mul", "[[1, 2], [3, 4], [5, 6]]", "py.xsum", "py");
    python.track(last, bodyId);
    expect(JSON.parse(await py("get", last, "30"))).toEqual({ state: "SUCCESS", result: 120 });
    expect(await app.AsyncResult(bodyId).get({ timeout: 30_000 })).toBe(2 + 12 + 30);
  }, 60_000);
});
