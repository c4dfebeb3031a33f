import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chain, chord, TaskError, type Celeriac } from "../../mod.ts";
import { drainUntil, setupInterop, type Interop } from "./harness.ts";

// Real Python Celery 5 (Debian's python3-celery) and celeriac on one Redis: each sends work the
// other runs, and each reads the other's results. Broker keys use kombu's global_keyprefix.
let w: Interop;
let app: Celeriac;

beforeAll(async () => {
  w = await setupInterop("python");
  app = w.app;
  app.task("ts.mul", (a: number, b: number) => a * b);
  app.task("ts.fail", () => {
    throw new TypeError("ts says no");
  });
  await w.startPyWorker({ queues: ["py"] });
}, 90_000);
afterAll(() => w?.close(), 30_000);

describe("interop with Python Celery 5.2", () => {
  it("a Python worker runs tasks sent by celeriac, kwargs included, and celeriac reads the results", async () => {
    const r1 = await app.sendTask("py.add", [2, 3], { queue: "py" });
    const r2 = await app.sendTask("py.scale", [3], { queue: "py", kwargs: { factor: 4 } });
    w.track(r1.id, r2.id);
    expect(await r1.get({ timeout: 30_000 })).toBe(5);
    expect(await r2.get({ timeout: 30_000 })).toBe(12);
  }, 60_000);

  it("a Python worker honours the countdown of a task sent by celeriac", async () => {
    const sent = Date.now();
    const r = await app.sendTask("py.add", [5, 5], { queue: "py", countdown: 1.5 });
    w.track(r.id);
    expect(await r.get({ timeout: 30_000 })).toBe(10);
    const done = Date.parse(`${(await r.meta())!.date_done}Z`);
    expect(done - sent).toBeGreaterThanOrEqual(1400);
  }, 60_000);

  it("a Python failure is re-thrown by celeriac with the Python exception type", async () => {
    const r = await app.sendTask("py.fail", ["boom"], { queue: "py" });
    w.track(r.id);
    const err = (await r.get({ timeout: 30_000 }).catch((e) => e)) as TaskError;
    expect(err).toBeInstanceOf(TaskError);
    expect(err.name).toBe("ValueError");
    expect(err.excModule).toBe("builtins");
    expect(err.message).toBe("boom");
  }, 60_000);

  it("a celeriac worker runs tasks sent by Python send_task, and Python reads the results", async () => {
    const ok = await w.py("send", "ts.mul", "[6, 7]");
    const bad = await w.py("send", "ts.fail", "[]");
    w.track(ok, bad);
    await app.worker().drain();
    expect(JSON.parse(await w.py("get", ok))).toEqual({ state: "SUCCESS", result: 42 });
    expect(JSON.parse(await w.py("get", bad))).toMatchObject({ state: "FAILURE", error: "TypeError", message: "ts says no" });
  }, 60_000);

  it("a celeriac chain and chord run on Python workers, the chord body back on celeriac", async () => {
    const pyAdd = app.signature("py.add").set({ queue: "py" });
    const c = await chain(pyAdd.clone([1, 2]), app.signature("py.scale", [], { factor: 10 }).set({ queue: "py" })).delay();
    expect(await c.get({ timeout: 30_000 })).toBe(30);
    app.task("ts.xsum", (xs: number[]) => xs.reduce((a, b) => a + b, 0));
    const body = await chord([pyAdd.clone([1, 1]), pyAdd.clone([2, 2]), pyAdd.clone([3, 3])], app.signature("ts.xsum")).delay();
    w.track(c, body);
    await drainUntil(app, () => body.ready());
    expect(await body.get({ timeout: 1000 })).toBe(12);
  }, 60_000);

  it("a Python chain hops between celeriac and Python workers", async () => {
    const steps = [["ts.mul", [2, 3], {}, "celery"], ["py.scale", [], { factor: 10 }, "py"], ["ts.mul", [2], {}, "celery"]];
    const last = await w.py("chain", JSON.stringify(steps));
    w.track(last);
    await drainUntil(app, () => app.AsyncResult(last).ready());
    expect(JSON.parse(await w.py("get", last))).toEqual({ state: "SUCCESS", result: 120 });
  }, 60_000);

  it("a Python chord with celeriac header members fires its Python body once", async () => {
    const bodyId = await w.py("chord", "ts.mul", "[[1, 2], [3, 4], [5, 6]]", "py.xsum", "py");
    w.track(bodyId);
    await app.worker().drain();
    expect(await app.AsyncResult(bodyId).get({ timeout: 30_000 })).toBe(2 + 12 + 30);
  }, 60_000);
});
