import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TaskError } from "../../mod.ts";
import type { PullBroker } from "../../src/ports.ts";
import { drainUntil, setupInterop, type Interop } from "./harness.ts";

// Messages Python Celery producers send that are not plain JSON: compressed bodies, protocol 1,
// and content celeriac refuses to run (pickle, bzip2), which must still end the caller's wait.
let w: Interop;

beforeAll(async () => {
  w = await setupInterop("content");
  w.app.task("ts.mul", (a: number, b: number) => a * b);
  w.app.task("ts.echo", (x: unknown) => [x, typeof x]);
}, 60_000);
afterAll(() => w?.close(), 30_000);

async function sendFromPython(options: Record<string, unknown>, args = [6, 7]): Promise<string> {
  const id = await w.py("send", "ts.mul", JSON.stringify(args), "{}", JSON.stringify(options));
  w.track(id);
  return id;
}

async function runOnCeleriac(id: string): Promise<void> {
  await drainUntil(w.app, async () => (await w.app.AsyncResult(id).ready()));
}

describe("content from Python producers", () => {
  it("a celeriac worker runs Python's zlib-compressed tasks (compression='zlib' and its alias 'gzip')", async () => {
    const ids = [await sendFromPython({ compression: "zlib" }), await sendFromPython({ compression: "gzip" }, [2, 5])];
    for (const id of ids) await runOnCeleriac(id);
    expect(await w.pyGet(ids[0])).toEqual({ state: "SUCCESS", result: 42 });
    expect(await w.pyGet(ids[1])).toEqual({ state: "SUCCESS", result: 10 });
  }, 90_000);

  it("a celeriac worker runs Python's protocol 1 messages (task_protocol=1)", async () => {
    const id = await sendFromPython({ protocol: 1 }, [3, 3]);
    await runOnCeleriac(id);
    expect(await w.pyGet(id)).toEqual({ state: "SUCCESS", result: 9 });
  }, 90_000);

  it("pickle is refused: FAILURE ContentDisallowed that Python re-raises as kombu's class, and the message is dead-lettered", async () => {
    const id = await sendFromPython({ serializer: "pickle" });
    await runOnCeleriac(id);
    expect(await w.pyGet(id)).toMatchObject({
      state: "FAILURE", error: "ContentDisallowed", module: "kombu.exceptions",
      message: "Refusing to deserialize untrusted content of type pickle (application/x-python-serialize)",
    });
    const err = (await w.app.AsyncResult(id).get({ timeout: 5000 }).catch((e) => e)) as TaskError;
    expect(err).toBeInstanceOf(TaskError);
    expect([err.name, err.excModule]).toEqual(["ContentDisallowed", "kombu.exceptions"]);
    const dead = await (w.app.broker as PullBroker).deadLetters(100);
    expect(dead.some((d) => d.payload.includes(id))).toBe(true);
  }, 90_000);

  it("bzip2 is refused the same way (ContentDisallowed naming the compression)", async () => {
    const id = await sendFromPython({ compression: "bzip2" });
    await runOnCeleriac(id);
    expect(await w.pyGet(id)).toMatchObject({ state: "FAILURE", error: "ContentDisallowed", module: "kombu.exceptions" });
    expect((await w.pyGet(id)).message).toContain("bzip2 (application/x-bz2)");
  }, 90_000);

  it("integers beyond 2^53 arrive as JS numbers, rounded to the nearest double (documented limit)", async () => {
    const id = await w.py("send", "ts.echo", "[9007199254740993]");
    w.track(id);
    await runOnCeleriac(id);
    expect(await w.pyGet(id)).toEqual({ state: "SUCCESS", result: [9007199254740992, "number"] });
  }, 90_000);
});
