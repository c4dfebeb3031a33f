import process from "node:process";
import { afterEach, expect, it } from "vitest";
import { Celeriac } from "../../mod.ts";
import { memoryBackend, memoryBroker } from "../../adapters/memory/mod.ts";
import { onAbort } from "../../src/worker/limits.ts";

const warnings: Error[] = [];
const onWarning = (w: Error): void => void warnings.push(w);
afterEach(() => void process.off("warning", onWarning));

it("run at concurrency 30 shares one abort listener: no MaxListenersExceededWarning, and a shutdown timeout aborts every task", async () => {
  process.on("warning", onWarning);
  const app = new Celeriac("signals", { broker: memoryBroker(), backend: memoryBackend() });
  let started = 0;
  const t = app.task("tasks.wait", { bind: true }, (self) => new Promise((resolve) => {
    started++;
    self.signal.addEventListener("abort", () => resolve("aborted"), { once: true });
  }));
  const rs = await Promise.all(Array.from({ length: 30 }, () => t.delay()));
  const stop = new AbortController();
  const loop = app.worker({ concurrency: 30 }).run({ signal: stop.signal, pollIntervalMs: 10, shutdownTimeoutMs: 0 });
  const end = Date.now() + 10_000;
  while (started < 30 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  stop.abort();
  await loop;
  expect(await Promise.all(rs.map((r) => r.get({ timeout: 1000 })))).toEqual(Array(30).fill("aborted"));
  await new Promise((r) => setTimeout(r, 0)); // warnings are emitted on the next tick
  expect(warnings.filter((w) => w.name === "MaxListenersExceededWarning")).toEqual([]);
});

it("onAbort: one listener per signal, removed when the last caller stops listening; none for an aborted signal", () => {
  const ac = new AbortController();
  const calls: number[] = [];
  const offs = [1, 2, 3].map((i) => onAbort(ac.signal, () => void calls.push(i)));
  offs[1]();
  ac.abort();
  expect(calls).toEqual([1, 3]);
  let late = false;
  onAbort(ac.signal, () => (late = true))();
  expect(late).toBe(false);
  const quiet = new AbortController();
  let fired = false;
  const off = onAbort(quiet.signal, () => (fired = true));
  off();
  quiet.abort();
  expect(fired).toBe(false);
});
