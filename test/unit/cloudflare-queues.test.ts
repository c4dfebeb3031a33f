// The Cloudflare Queues broker and consumer against recording producer bindings with
// workerd's documented interface (send/sendBatch; Message ack/retry). The same code runs in
// real workerd in test/runtime/workerd-queues.test.ts.
import { describe, expect, it } from "vitest";
import { cloudflareQueuesBroker, consumeBatch, MAX_DELAY_SECONDS, type QueueMessage, type QueueProducer, type QueueSendRequest } from "../../adapters/cloudflare-queues/mod.ts";
import { AdapterError, Celeriac, ConfigError, encodeMessage, group } from "../../mod.ts";
import { memoryBackend } from "../../adapters/memory/mod.ts";

function recorder(): QueueProducer & { calls: QueueSendRequest[][]; sent: unknown[] } {
  const calls: QueueSendRequest[][] = [];
  const sent: unknown[] = [];
  return {
    calls, sent,
    async send(body) { sent.push(body); },
    async sendBatch(messages) { calls.push([...messages]); },
  };
}

function message(body: unknown, attempts = 1) {
  const m = { id: `m${Math.random()}`, timestamp: new Date(), body, attempts, acked: false, retried: null as null | { delaySeconds?: number } };
  return Object.assign(m, { ack: () => { m.acked = true; }, retry: (o?: { delaySeconds?: number }) => { m.retried = o ?? {}; } }) satisfies QueueMessage;
}

describe("cloudflare-queues broker", () => {
  it("a group of 1,000 goes out in 10 sendBatch calls of 100", async () => {
    const q = recorder();
    const app = new Celeriac("cfq", { broker: cloudflareQueuesBroker({ queues: q }) });
    const add = app.task("tasks.add", (a: number, b: number) => a + b);
    await group(Array.from({ length: 1000 }, (_, i) => add.s(i, i))).delay();
    expect(q.calls.map((c) => c.length)).toEqual(Array(10).fill(100));
    expect(q.calls[0]![0]).toMatchObject({ contentType: "text", delaySeconds: 0 });
  });

  it("countdown becomes delaySeconds, capped at 12 h", async () => {
    const q = recorder();
    const clock = { now: () => 1_700_000_000_000 };
    const app = new Celeriac("cfq", { broker: cloudflareQueuesBroker({ queues: q, now: clock.now }), clock });
    app.task("t", () => 1);
    await app.sendTask("t", [], { countdown: 90 });
    await app.sendTask("t", [], { countdown: 3 * 86_400 });
    expect(q.calls.map((c) => c[0]!.delaySeconds)).toEqual([90, MAX_DELAY_SECONDS]);
  });

  it("routes Celery queues to their bindings; an unmapped queue is a ConfigError", async () => {
    const a = recorder();
    const b = recorder();
    const app = new Celeriac("cfq", { broker: cloudflareQueuesBroker({ queues: { celery: a, media: b } }) });
    app.task("t", () => 1);
    await app.sendTask("t", [], { queue: "media" });
    expect([a.calls.length, b.calls.length]).toEqual([0, 1]);
    await expect(app.sendTask("t", [], { queue: "other" })).rejects.toThrow(ConfigError);
  });

  it("a message over 128 KB is refused, not retried", async () => {
    const app = new Celeriac("cfq", { broker: cloudflareQueuesBroker({ queues: recorder() }) });
    app.task("t", () => 1);
    const err = await app.sendTask("t", ["x".repeat(200_000)]).catch((e) => e);
    expect(err).toBeInstanceOf(AdapterError);
    expect(err.retryable).toBe(false);
  });
});

describe("cloudflare-queues consumer", () => {
  it("runs, acks, keeps malformed messages as dead letters in the backend, retries on backend failure", async () => {
    const backend = memoryBackend();
    const app = new Celeriac("cfq", { broker: cloudflareQueuesBroker({ queues: recorder() }), backend });
    app.task("tasks.add", (a: number, b: number) => a + b);
    const msg = app.buildMessage("tasks.add", [1, 2]);
    const good = message(encodeMessage(msg));
    const bad = message("nope");
    const report = await consumeBatch(app.worker(), { queue: "jobs", messages: [good, bad] });
    expect(report).toEqual({ acked: 2, retried: 0, redelayed: 0, deadLettered: 1 });
    expect([good.acked, bad.acked]).toEqual([true, true]);
    expect(await app.AsyncResult(msg.headers.id).get()).toBe(3);
    // The record exists: setting the same key again fails.
    expect(await backend.setIfAbsent(`celeriac-dead-letter-${bad.id}`, "x", 1000)).toBe(false);

    const flaky = message(encodeMessage(app.buildMessage("tasks.add", [2, 2])), 3);
    const down = () => Promise.reject(new Error("backend down"));
    const broken = new Celeriac("cfq", { broker: app.broker, backend: Object.assign(memoryBackend(), { get: down, mget: down, set: down }) });
    broken.task("tasks.add", (a: number, b: number) => a + b);
    expect(await consumeBatch(broken.worker(), { queue: "jobs", messages: [flaky] })).toMatchObject({ retried: 1, acked: 0 });
    expect(flaky.retried).toEqual({ delaySeconds: 20 });
  });

  it("a message not due yet (ETA past the 12 h cap) is sent again for later and acked", async () => {
    const q = recorder();
    const app = new Celeriac("cfq", { broker: cloudflareQueuesBroker({ queues: q }) });
    app.task("t", () => 1);
    const m = message(encodeMessage(app.buildMessage("t", [], { countdown: 2 * 86_400 })));
    expect(await consumeBatch(app.worker(), { queue: "jobs", messages: [m] })).toMatchObject({ redelayed: 1, acked: 1 });
    expect(q.calls[0]![0]!.delaySeconds).toBe(MAX_DELAY_SECONDS);
  });
});
