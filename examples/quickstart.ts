// The main job on the embedded default (no services needed): `npm start`.
// Defines tasks, sends a few (including a retry and an ETA), runs a worker, prints each result.
import { Celeriac, TaskError } from "../mod.ts";

const app = new Celeriac("quickstart");

const add = app.task("tasks.add", (a: number, b: number) => a + b);

let attempts = 0;
const flaky = app.task("tasks.flaky", { bind: true, maxRetries: 3 }, (self, name: string) => {
  attempts++;
  // Fails twice, then succeeds: each failure retries the same task id 0.2 s later.
  if (self.request.retries < 2) self.retry({ countdown: 0.2, exc: new Error(`${name} not ready yet`) });
  return `${name} ready after ${self.request.retries} retries`;
});

const stamp = app.task("tasks.stamp", () => new Date().toISOString());

const divide = app.task("tasks.divide", (a: number, b: number) => {
  if (b === 0) throw new RangeError("division by zero");
  return a / b;
});

const sentAt = Date.now();
const results = {
  "add(2, 2)": await add.delay(2, 2),
  "add(40, 2) with priority 0": await add.applyAsync([40, 2], { priority: 0 }),
  "flaky('report')": await flaky.delay("report"),
  "stamp() with countdown 0.5 s": await stamp.applyAsync([], { countdown: 0.5 }),
  "divide(1, 0)": await divide.delay(1, 0),
};

// A long-running worker loop, stopped once everything above is done.
const stop = new AbortController();
const worker = app.worker({ concurrency: 4 }).run({ signal: stop.signal, pollIntervalMs: 50 });

for (const [label, r] of Object.entries(results)) {
  try {
    const value = await r.get({ timeout: 10_000 });
    console.log(`${label.padEnd(40)} → ${JSON.stringify(value)}  [${await r.state}]`);
  } catch (err) {
    const name = err instanceof TaskError ? err.name : String(err);
    console.log(`${label.padEnd(40)} → raised ${name}: ${(err as Error).message}  [${await r.state}]`);
  }
}
const eta = Date.parse(String(await results["stamp() with countdown 0.5 s"].get())) - sentAt;
console.log(`flaky ran ${attempts} times; the ETA task ran ${eta} ms after sending`);

stop.abort();
await worker;
