import { spawn } from "node:child_process";
import { connect } from "amqplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Celeriac } from "../../mod.ts";
import { amqpBroker, type AmqpBroker } from "../../adapters/amqp/mod.ts";
import { redisBackend } from "../../adapters/redis/mod.ts";
import { AdapterError } from "../../src/errors.ts";
import { startAmqp, type AmqpEnv } from "../support/amqp.ts";

let env: AmqpEnv;

beforeAll(async () => {
  env = await startAmqp("amqp-int");
});

afterAll(async () => {
  await env?.close();
});

function appWith(broker: AmqpBroker, prefix: string): Celeriac {
  env.brokers.push(broker);
  return new Celeriac("amqp-int", { broker, backend: redisBackend(env.redis, { prefix }) });
}

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Ready messages of a queue (0 when it does not exist), read on a connection of its own. */
async function ready(queue: string): Promise<number> {
  const conn = await connect(env.url);
  try {
    const ch = await conn.createChannel();
    ch.on("error", () => {});
    return (await ch.checkQueue(queue).catch(() => ({ messageCount: 0 }))).messageCount;
  } finally {
    await conn.close().catch(() => {});
  }
}

describe("amqp broker on RabbitMQ", () => {
  it("ETA messages wait in RabbitMQ's TTL delay queue, not in the worker, and run when due", async () => {
    const prefix = env.prefix("eta");
    const broker = amqpBroker(env.url, { prefix });
    const app = appWith(broker, prefix);
    const ran: number[] = [];
    const t = app.task("tasks.later", () => void ran.push(Date.now()));
    const sent = Date.now();
    const r = await t.applyAsync([], { countdown: 1 });
    const delayQueues = broker.declared().filter((n) => n.startsWith(`${prefix}celery.celeriac-delay.`));
    expect(delayQueues).toHaveLength(1);
    expect(await ready(delayQueues[0]), delayQueues[0]).toBe(1);
    expect(await ready(`${prefix}celery`)).toBe(0);
    const stop = new AbortController();
    const loop = app.worker().run({ signal: stop.signal });
    await r.get({ timeout: 20_000 });
    expect(ran).toHaveLength(1);
    expect(ran[0] - sent).toBeGreaterThanOrEqual(1000);
    stop.abort();
    await loop;
  });

  it("a lost connection: the worker reconnects; the message whose ack was lost is redelivered and finishes", async () => {
    const prefix = env.prefix("reconnect");
    const broker = amqpBroker(env.url, { prefix });
    const app = appWith(broker, prefix);
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const held = app.task("tasks.held", async () => {
      runs++;
      await gate;
      return "done";
    });
    const errors: unknown[] = [];
    const stop = new AbortController();
    const loop = app.worker({ onError: (e) => errors.push(e) }).run({ signal: stop.signal, pollIntervalMs: 50 });
    const r = await held.delay();
    await until(() => runs === 1, "the first run");
    // Cut the TCP connection under the broker, as a network failure would.
    const link = (broker as unknown as { link: { active: { conn: { connection: { stream: { destroy(e: Error): void } } } } } }).link;
    link.active.conn.connection.stream.destroy(new Error("ECONNRESET (simulated)"));
    release();
    expect(await r.get({ timeout: 20_000 })).toBe("done");
    await until(() => runs === 2, "the redelivered run");
    const again = await held.delay();
    expect(await again.get({ timeout: 20_000 })).toBe("done");
    for (const e of errors) expect(e).toBeInstanceOf(AdapterError);
    stop.abort();
    await loop;
  });

  it("kill -9 of a worker holding a message: RabbitMQ redelivers it to another worker", async () => {
    const prefix = env.prefix("kill");
    const app = appWith(amqpBroker(env.url, { prefix }), prefix);
    let redelivered: boolean | undefined;
    app.task("tasks.crashy", { bind: true }, (self) => {
      redelivered = self.request.deliveryInfo.redelivered;
      return "recovered";
    });
    const r = await app.sendTask("tasks.crashy", []);
    const child = spawn(process.execPath, ["--import", "tsx", "test/support/amqp-claim-and-hang.ts"], {
      env: { ...process.env, AMQP_URL: env.url, AMQP_PREFIX: prefix }, stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout!.on("data", (b: Buffer) => (out += b));
    const exited = new Promise((res) => child.once("exit", res));
    await until(() => out.includes("claimed"), "the child to claim");
    child.kill("SIGKILL");
    await exited;
    await until(async () => (await ready(`${prefix}celery`)) === 1, "RabbitMQ to requeue the message");
    const report = await app.worker().drain();
    expect(report.succeeded).toBe(1);
    expect(await r.get({ timeout: 10_000 })).toBe("recovered");
    expect(redelivered).toBe(true);
  }, 60_000);

  it("no RabbitMQ at the URL: a typed, retryable AdapterError", async () => {
    const b = amqpBroker("amqp://guest:guest@127.0.0.1:1//", { timeoutMs: 2000 });
    const err = await b.publish([{ id: "x", queue: "q", priority: 0, payload: "x" }]).catch((e) => e);
    expect(err).toBeInstanceOf(AdapterError);
    expect((err as AdapterError).retryable).toBe(true);
    await b.close();
  });
});
