import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setupInterop, type Interop } from "./harness.ts";

// Canvases built in Python whose chord step is sent by a celeriac worker: Python froze every id
// (a chord's options.task_id is its header group's id, the body has its own), and celeriac must
// keep them, or Python waits on an id nobody writes.
let w: Interop;

beforeAll(async () => {
  w = await setupInterop("canvas");
  w.app.task("ts.mul", (a: number, b: number) => a * b);
  await w.startPyWorker({ queues: ["py"] });
}, 90_000);
afterAll(() => w?.close(), 30_000);

/** Apply a Python canvas; drain celeriac until Python sees the result (or the deadline). */
async function runPython(expr: string): Promise<Record<string, unknown>> {
  const id = await w.py("canvas", expr);
  w.track(id);
  const end = Date.now() + 45_000;
  const worker = w.app.worker();
  while (!(await w.app.AsyncResult(id).ready()) && Date.now() < end) await worker.drain({ budgetMs: 500 });
  return await w.pyGet(id, 5);
}

describe("Python-built canvases with a chord sent by celeriac", () => {
  it("chain(ts, group(py, ts), py): the upgraded chord's body keeps Python's id", async () => {
    const expr = "chain(s('ts.mul', [2, 3]), group(s('py.add', [1], 'py'), s('ts.mul', [2])), s('py.xsum', [], 'py'))";
    expect(await runPython(expr)).toEqual({ state: "SUCCESS", result: 7 + 12 });
  }, 90_000);

  it("chain(ts, chord([py, ts], py)): the chord's body keeps Python's id", async () => {
    const expr = "chain(s('ts.mul', [1, 4]), chord([s('py.add', [1], 'py'), s('ts.mul', [3])], s('py.xsum', [], 'py')))";
    expect(await runPython(expr)).toEqual({ state: "SUCCESS", result: 5 + 12 });
  }, 90_000);

  it("chain(ts, chord([py, ts], py), ts): the step after the chord runs with the body's result", async () => {
    const expr = "chain(s('ts.mul', [1, 4]), chord([s('py.add', [1], 'py'), s('ts.mul', [3])], s('py.xsum', [], 'py')), s('ts.mul', [10]))";
    expect(await runPython(expr)).toEqual({ state: "SUCCESS", result: 170 });
  }, 90_000);
});
