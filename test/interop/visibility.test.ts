import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setupInterop, type Interop } from "./harness.ts";

// A celeriac worker's visibility sweep must never restore a message sooner than its own
// consumer would (docs/celery-interop.md): a Python worker holds an ETA message in `unacked`
// until its ETA, so a celeriac worker with a short visibility timeout must leave it alone.
let w: Interop;

beforeAll(async () => {
  w = await setupInterop("visibility");
  // The same task on both sides of the shared queue, counting into the same key.
  w.app.task("py.tally", (key: string) => w.raw.incr(key));
  await w.startPyWorker({ queues: ["py"] });
}, 90_000);
afterAll(() => w?.close(), 30_000);

async function until(cond: () => Promise<boolean>, what: string, ms = 45_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`${what} not within ${ms} ms\n${w.pyLog()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Ids held in kombu's `unacked` hash (claimed, not acked). */
async function unackedIds(): Promise<string[]> {
  const vals = await w.raw.hvals(`${w.prefix}unacked`);
  return vals.map((v) => (JSON.parse(v) as [{ headers: { id: string } }])[0].headers.id);
}

/**
 * Python sends a countdown task to the Python worker; once that worker holds it in `unacked`,
 * a celeriac worker (visibility 1 s, consuming `queues`) claims in a loop until the task ran
 * and no copy is left anywhere. Returns how many times it ran.
 */
async function runsWhileCeleriacSweeps(queues: string[]): Promise<number> {
  const key = `${w.prefix}runs:${queues.join(",")}`;
  const id = await w.py("send", "py.tally", JSON.stringify([key]), "{}", JSON.stringify({ queue: "py", countdown: 4 }));
  w.track(id);
  await until(async () => (await unackedIds()).includes(id), "the Python worker reserving the ETA message");
  const worker = w.app.worker({ queues, visibilityTimeout: 1 });
  await until(async () => {
    await worker.drain({ budgetMs: 500 });
    const left = (await unackedIds()).includes(id) || (await w.raw.llen(`${w.prefix}py`)) > 0;
    return (await w.raw.get(key)) != null && !left;
  }, "the task running with no copy left");
  return Number(await w.raw.get(key));
}

describe("visibility sweep next to Python workers", () => {
  it("a celeriac worker on another queue never restores the Python worker's ETA message (it runs once)", async () => {
    expect(await runsWhileCeleriacSweeps(["celery"])).toBe(1);
  }, 90_000);

  it("a celeriac worker on the same queue does not restore it before ETA + visibility (it runs once)", async () => {
    expect(await runsWhileCeleriacSweeps(["py"])).toBe(1);
  }, 90_000);
});
