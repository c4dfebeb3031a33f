import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TaskContext } from "../../mod.ts";
import { drainUntil, setupInterop, type Interop } from "./harness.ts";

// The same failure on a Python worker and on a celeriac worker must leave the same record, so
// Python re-raises the real class (NotRegistered, TimeLimitExceeded, ...) either way. The Python
// worker runs with --pool=prefork -c 2: the solo pool does not enforce time limits.
let w: Interop;

const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));

beforeAll(async () => {
  w = await setupInterop("errors");
  w.app.task("ts.sleep", async (s: number) => (await sleep(s), s));
  w.app.task("ts.careful", { bind: true }, async (self: TaskContext, s: number) => {
    const aborted = new Promise((r) => self.signal.addEventListener("abort", r));
    return (await Promise.race([sleep(s).then(() => "finished"), aborted.then(() => "cleaned up")]));
  });
  w.app.task("ts.retry", { bind: true, maxRetries: 1 }, (self: TaskContext) => self.retry({ countdown: 0 }));
  await w.startPyWorker({ queues: ["py"], pool: "prefork", concurrency: 2 });
}, 90_000);
afterAll(() => w?.close(), 30_000);

type Record = { status: string; result: any; task_id: string };

async function recordOf(id: string): Promise<Record> {
  const end = Date.now() + 45_000;
  for (;;) {
    const raw = await w.raw.get(`celery-task-meta-${id}`);
    const rec = raw ? (JSON.parse(raw) as Record) : null;
    if (rec && ["SUCCESS", "FAILURE", "REVOKED"].includes(rec.status)) return rec;
    if (Date.now() > end) throw new Error(`no final record for ${id}: ${raw}\n${w.pyLog()}`);
    await sleep(0.1);
  }
}

/** Send `pyTask` to the Python worker and `tsTask` to celeriac (both from Python); both records. */
async function both(pyTask: string, tsTask: string, args: unknown[], options: object = {}): Promise<[Record, Record]> {
  const send = async (task: string, queue: string) => {
    const id = await w.py("send", task, JSON.stringify(args), "{}", JSON.stringify({ ...options, queue }));
    w.track(id);
    return id;
  };
  const [py, ts] = [await send(pyTask, "py"), await send(tsTask, "celery")];
  await drainUntil(w.app, async () => (await w.app.AsyncResult(ts).ready()));
  return [await recordOf(py), await recordOf(ts)];
}

describe("error records match Python Celery's", () => {
  it("NotRegistered: exc_message is [name], and Python prints Celery's own message", async () => {
    const [py, ts] = await both("nope.task", "nope.task", [1]);
    expect(py.result).toEqual({ exc_type: "NotRegistered", exc_message: ["nope.task"], exc_module: "celery.exceptions" });
    expect(ts.status).toBe("FAILURE");
    expect(ts.result).toEqual(py.result);
    const pyRead = await w.pyGet(ts.task_id);
    expect(pyRead).toMatchObject({ state: "FAILURE", error: "NotRegistered", repr: "Task of kind 'nope.task' never registered, please make sure it's imported." });
  }, 90_000);

  it("hard time limit: TimeLimitExceeded [seconds] from billiard.exceptions", async () => {
    const [py, ts] = await both("py.sleep", "ts.sleep", [4], { time_limit: 1 });
    expect(py.result).toEqual({ exc_type: "TimeLimitExceeded", exc_message: [1], exc_module: "billiard.exceptions" });
    expect([ts.status, ts.result]).toEqual(["FAILURE", py.result]);
  }, 90_000);

  it("expired: REVOKED TaskRevokedError ['expired']", async () => {
    const [py, ts] = await both("py.add", "ts.sleep", [0, 0], { expires: 0.001 });
    expect([py.status, py.result]).toEqual(["REVOKED", { exc_type: "TaskRevokedError", exc_message: ["expired"], exc_module: "celery.exceptions" }]);
    expect([ts.status, ts.result]).toEqual([py.status, py.result]);
  }, 90_000);

  it("retries used up: MaxRetriesExceededError from celery.exceptions with Celery's message", async () => {
    const [py, ts] = await both("py.retry", "ts.retry", []);
    expect(py.result).toMatchObject({ exc_type: "MaxRetriesExceededError", exc_module: "celery.exceptions" });
    expect(ts.result).toMatchObject({ exc_type: py.result.exc_type, exc_module: py.result.exc_module });
    expect(ts.result.exc_message[0]).toMatch(/^Can't retry ts\.retry\[[0-9a-f-]{36}\] args:/);
  }, 90_000);
});

describe("soft time limit", () => {
  it("a task that never looks at the limit and returns late fails with SoftTimeLimitExceeded, as in Celery", async () => {
    const [py, ts] = await both("py.sleep", "ts.sleep", [2], { soft_time_limit: 1 });
    expect(py.result).toEqual({ exc_type: "SoftTimeLimitExceeded", exc_message: [], exc_module: "billiard.exceptions" });
    expect([ts.status, ts.result]).toEqual(["FAILURE", py.result]);
  }, 90_000);

  it("a task that handles the limit and returns normally succeeds, as a Python task catching it does", async () => {
    const [py, ts] = await both("py.careful", "ts.careful", [3], { soft_time_limit: 1 });
    expect([py.status, py.result]).toEqual(["SUCCESS", "cleaned up"]);
    expect([ts.status, ts.result]).toEqual(["SUCCESS", "cleaned up"]);
  }, 90_000);
});
