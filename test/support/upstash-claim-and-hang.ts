/**
 * A worker process for the crash test (test/integration/upstash-faults.test.ts): it claims
 * `tasks.crashy` from the Upstash endpoint in UPSTASH_REDIS_REST_URL/_TOKEN under
 * CELERIAC_REDIS_PREFIX, prints "claimed" and hangs until it is killed.
 */
import process from "node:process";
import { Celeriac } from "../../mod.ts";
import { fromEnv, upstashSse } from "../../adapters/upstash-redis/mod.ts";

const app = new Celeriac("crash", { ...fromEnv(process.env, { retry: false, sse: upstashSse }) });
app.task("tasks.crashy", () => {
  process.stdout.write("claimed\n");
  return new Promise<never>(() => {});
});
await app.worker({ visibilityTimeout: Number(process.env.VISIBILITY_S ?? 1), prefetch: 1 }).drain();
