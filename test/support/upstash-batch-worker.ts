/**
 * A worker process for the batch-mates test (test/integration/upstash-batch-mates.test.ts), on
 * the Upstash endpoint in UPSTASH_REDIS_REST_URL/_TOKEN under CELERIAC_REDIS_PREFIX, visibility
 * VISIBILITY_S. It prints `ran <id>` for every execution. `tasks.long` waits until stdin says
 * `release`; stdin `stop` ends the worker, which then prints `stopped`.
 *
 * MODE=drain: one drain (concurrency and prefetch 8), then wait for `stop`.
 * MODE=run: `run()` at concurrency 8 until `stop`.
 * MODE=poll: drain again and again (printing `polled` after each) until `stop`.
 */
import process from "node:process";
import { Celeriac } from "../../mod.ts";
import { fromEnv } from "../../adapters/upstash-redis/mod.ts";

const say = (line: string): void => void process.stdout.write(`${line}\n`);
const stop = new AbortController();
let release!: () => void;
const held = new Promise<void>((r) => (release = r));
process.stdin.on("data", (b: Buffer) => {
  const text = b.toString();
  if (text.includes("release")) release();
  if (text.includes("stop")) stop.abort();
});

const app = new Celeriac("batch-mates", { ...fromEnv(process.env, { retry: false }) });
app.task("tasks.short", { bind: true }, (self) => say(`ran ${self.request.id}`));
app.task("tasks.long", { bind: true }, async (self) => {
  say(`ran ${self.request.id}`);
  await held;
});
const worker = app.worker({
  concurrency: 8, prefetch: 8, visibilityTimeout: Number(process.env.VISIBILITY_S ?? 2), onError: (e) => say(`error ${e}`),
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
  while (!stop.signal.aborted) {
    await worker.drain();
    say("polled");
    await new Promise((r) => setTimeout(r, 50));
  }
}
say("stopped");
process.exit(0);
