/**
 * Interop checks that read the same on every transport (TCP Redis, RabbitMQ): the celeriac
 * tasks Python calls, Python sending to a celeriac worker, and a celeriac canvas whose members
 * run on a Python worker. Each suite calls them from its own `it` with its app and queues.
 */
import { expect } from "vitest";
import { chain, chord, type Celeriac } from "../../mod.ts";
import type { PythonCelery } from "../support/celery-worker.ts";

/** Register `ts.mul`, `ts.fail` (a TypeError) and `ts.xsum`, the tasks Python sends to celeriac. */
export function registerTsTasks(app: Celeriac): void {
  app.task("ts.mul", (a: number, b: number) => a * b);
  app.task("ts.fail", () => {
    throw new TypeError("ts says no");
  });
  app.task("ts.xsum", (xs: number[]) => xs.reduce((a, b) => a + b, 0));
}

/** Python `send_task` to the celeriac worker (its default queue); Python reads both results. */
export async function pythonSendsToCeleriac(python: PythonCelery): Promise<void> {
  const ok = await python.py("send", "ts.mul", "[6, 7]");
  const bad = await python.py("send", "ts.fail", "[]");
  python.track(ok, bad);
  expect(JSON.parse(await python.py("get", ok, "30"))).toEqual({ state: "SUCCESS", result: 42 });
  expect(JSON.parse(await python.py("get", bad, "30"))).toMatchObject({ state: "FAILURE", error: "TypeError", message: "ts says no" });
}

/** A celeriac chain and chord whose `py.add` members run on the Python worker of `pyQueue`, the chord body on celeriac. */
export async function celeriacCanvasOnPython(app: Celeriac, python: PythonCelery, pyQueue: string): Promise<void> {
  const pyAdd = app.signature("py.add").set({ queue: pyQueue });
  const c = await chain(pyAdd.clone([1, 2]), app.signature("ts.mul", [10])).delay();
  const body = await chord([pyAdd.clone([1, 1]), app.signature("ts.mul", [2, 2]), pyAdd.clone([3, 3])], app.signature("ts.xsum")).delay();
  python.track(c, body);
  expect(await c.get({ timeout: 30_000 })).toBe(30);
  expect(await body.get({ timeout: 30_000 })).toBe(2 + 4 + 6);
}
