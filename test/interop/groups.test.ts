import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { group } from "../../mod.ts";
import { drainUntil, setupInterop, type Interop } from "./harness.ts";

// GroupResult.save() / GroupResult.restore(id) across languages: Celery's
// `celery-taskset-meta-<gid>` record, written by either side and read by the other.
let w: Interop;

beforeAll(async () => {
  w = await setupInterop("groups");
  w.app.task("ts.mul", (a: number, b: number) => a * b);
  await w.startPyWorker({ queues: ["py"] });
}, 90_000);
afterAll(() => w?.close(), 30_000);

describe("saved groups", () => {
  it("a group celeriac saved (run on a Python worker) is restored by Python's GroupResult.restore", async () => {
    const add = w.app.signature("py.add").set({ queue: "py" });
    const res = await group([add.clone([1, 1]), add.clone([2, 2]), add.clone([3, 3])]).delay();
    w.track(...res.results.map((r) => r.id));
    await res.save();
    const restored = JSON.parse(await w.py("group_restore", res.id, "30"));
    expect(restored).toEqual({ ids: res.results.map((r) => r.id), values: [2, 4, 6] });
    await w.raw.del(`celery-taskset-meta-${res.id}`);
  }, 90_000);

  it("a group Python saved (run on a celeriac worker) is restored by app.GroupResult.restore", async () => {
    const gid = await w.py("group_save", "ts.mul", "[[1, 2], [3, 4]]", "celery");
    const restored = await w.app.GroupResult.restore(gid);
    expect(restored).not.toBeNull();
    w.track(...restored!.results.map((r) => r.id));
    await drainUntil(w.app, () => restored!.ready());
    expect(await restored!.get({ timeout: 5000 })).toEqual([2, 12]);
    expect(await w.app.GroupResult.restore("no-such-group")).toBeNull();
    await w.raw.del(`celery-taskset-meta-${gid}`);
  }, 90_000);
});
