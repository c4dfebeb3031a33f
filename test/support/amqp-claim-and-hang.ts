/**
 * A worker process for the kill -9 test (test/integration/amqp.test.ts): it claims
 * `tasks.crashy` from AMQP_URL under AMQP_PREFIX, prints "claimed" and hangs until killed.
 */
import process from "node:process";
import { Celeriac } from "../../mod.ts";
import { amqpBroker } from "../../adapters/amqp/mod.ts";
import { memoryBackend } from "../../adapters/memory/mod.ts";

const app = new Celeriac("crash", { broker: amqpBroker(process.env.AMQP_URL!, { prefix: process.env.AMQP_PREFIX }), backend: memoryBackend() });
app.task("tasks.crashy", () => {
  process.stdout.write("claimed\n");
  return new Promise<never>(() => {});
});
await app.worker({ prefetch: 1 }).drain();
