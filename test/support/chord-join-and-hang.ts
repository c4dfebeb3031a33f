/**
 * A worker process for the chord crash test (test/integration/chord-crash.test.ts): it runs the
 * members of a chord from the Upstash endpoint in UPSTASH_REDIS_REST_URL/_TOKEN under
 * CELERIAC_REDIS_PREFIX, and when its join completes the chord it prints "joined" and hangs
 * (before the body is sent) until it is killed.
 */
import process from "node:process";
import { Celeriac } from "../../mod.ts";
import { fromEnv, upstashSse } from "../../adapters/upstash-redis/mod.ts";

const app = new Celeriac("chord-crash", { ...fromEnv(process.env, { retry: false, sse: upstashSse }) });
app.task("chords.add", (a: number, b: number) => a + b);
const join = app.backend.chordJoin.bind(app.backend);
app.backend.chordJoin = async (...args) => {
  const entries = await join(...args);
  if (entries) {
    process.stdout.write("joined\n");
    await new Promise<never>(() => {});
  }
  return entries;
};
await app.worker({ visibilityTimeout: 1, prefetch: 10, concurrency: 4 }).drain();
