/**
 * A worker process for the batch-mates test (test/integration/upstash-batch-mates.test.ts), on
 * the Upstash endpoint in UPSTASH_REDIS_REST_URL/_TOKEN under CELERIAC_REDIS_PREFIX, visibility
 * VISIBILITY_S, its app on a manual clock starting at CLOCK_START (epoch ms). It prints
 * `ran <id>` for every execution and `extended <now>` after every extend the broker completed.
 * Stdin lines: `advance <ms>` moves the clock (prints `at <now>`), `release` lets `tasks.long`
 * finish, `poll` (MODE=poll) drains once and prints `polled`, `stop` ends the worker, which then
 * prints `stopped`.
 *
 * MODE=drain: one drain (concurrency and prefetch 8), then wait for `stop`.
 * MODE=run: `run()` at concurrency 8 until `stop`.
 * MODE=poll: a drain for every `poll` until `stop`.
 */
import process from "node:process";
import { createInterface } from "node:readline";
import { Celeriac } from "../../mod.ts";
import { fromEnv, upstashSse } from "../../adapters/upstash-redis/mod.ts";
import type { Delivery, ExtendOptions, PullBroker } from "../../src/ports.ts";
import { manualClock } from "./clock.ts";

const say = (line: string): void => void process.stdout.write(`${line}\n`);
const stop = new AbortController();
let release!: () => void;
const held = new Promise<void>((r) => (release = r));
const clock = manualClock(Number(process.env.CLOCK_START ?? Date.now()));
let polls = Promise.resolve();

const { broker: real, backend } = fromEnv(process.env, { retry: false, sse: upstashSse });
const broker: PullBroker = Object.assign(Object.create(real), {
  extend: async (ds: Delivery[], ms: number, opts?: ExtendOptions) => {
    await real.extend(ds, ms, opts);
    say(`extended ${opts?.now}`);
  },
});
const app = new Celeriac("batch-mates", { broker, backend, clock });
app.task("tasks.short", { bind: true }, (self) => say(`ran ${self.request.id}`));
app.task("tasks.long", { bind: true }, async (self) => {
  say(`ran ${self.request.id}`);
  await held;
});
const worker = app.worker({
  concurrency: 8, prefetch: 8, visibilityTimeout: Number(process.env.VISIBILITY_S ?? 2), onError: (e) => say(`error ${e}`),
});

createInterface({ input: process.stdin }).on("line", (line) => {
  const [cmd, arg] = line.trim().split(/\s+/);
  if (cmd === "advance") clock.advance(Number(arg)), say(`at ${clock.now()}`);
  if (cmd === "release") release();
  if (cmd === "poll") polls = polls.then(async () => void await worker.drain()).then(() => say("polled"), (e) => say(`error ${e}`));
  if (cmd === "stop") stop.abort();
});
const stopped = new Promise((r) => stop.signal.addEventListener("abort", r, { once: true }));
const mode = process.env.MODE;
if (mode === "drain") {
  await worker.drain();
  say("drained");
  await stopped;
} else if (mode === "run") {
  await worker.run({ signal: stop.signal, pollIntervalMs: 50 });
} else {
  await stopped;
  await polls;
}
say("stopped");
process.exit(0);
