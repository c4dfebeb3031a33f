import { Client, Receiver } from "@upstash/qstash";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEV_CREDENTIALS, ManualClock } from "../../workers/qstash-dev/mod.ts";
import { startQStashDev, type QStashDevServer } from "../../workers/node/qstash-dev.ts";
import { serveFetch, type Served } from "../../workers/node/http-bridge.ts";

// The local QStash server against the unmodified official Client and Receiver, delivering over
// real HTTP to a recording endpoint. A manual clock drives delays, backoff and cron.
interface Hit {
  path: string;
  headers: Headers;
  body: string;
}
let hits: Hit[] = [];
let answer: (path: string, hit: Hit) => Response = () => new Response("ok");
let dest: Served;
let clock: ManualClock;
let q: QStashDevServer;
let client: Client;
const receiver = new Receiver({ currentSigningKey: DEV_CREDENTIALS.currentSigningKey, nextSigningKey: DEV_CREDENTIALS.nextSigningKey });

async function settle(): Promise<void> {
  await q.idle();
}

beforeAll(async () => {
  dest = await serveFetch(async (req) => {
    const hit = { path: new URL(req.url).pathname + new URL(req.url).search, headers: req.headers, body: await req.text() };
    hits.push(hit);
    return answer(hit.path, hit);
  });
  clock = new ManualClock(Date.now());
  q = await startQStashDev({ port: 0, clock, retryDelayScale: 1 });
  client = new Client({ baseUrl: q.url, token: q.credentials.token, retry: false });
});

afterAll(async () => {
  await q?.stop();
  await dest?.close();
});

const reset = (): void => {
  hits = [];
  answer = () => new Response("ok");
};

describe("local QStash server", () => {
  it("GET /v2/keys answers the dev pair; a wrong token gets 401", async () => {
    const res = await fetch(`${q.url}/v2/keys`, { headers: { authorization: `Bearer ${DEV_CREDENTIALS.token}` } });
    expect(await res.json()).toEqual({ current: DEV_CREDENTIALS.currentSigningKey, next: DEV_CREDENTIALS.nextSigningKey });
    const bad = new Client({ baseUrl: q.url, token: "nope", retry: false });
    await expect(bad.publishJSON({ url: `${dest.url}/x`, body: {} })).rejects.toThrow(/unauthorized/);
  });

  it("publishJSON delivers the body signed: the Receiver accepts it with the destination URL, forwards headers", async () => {
    reset();
    const r = await client.publishJSON({ url: `${dest.url}/run?q=1`, body: { hello: "world" }, headers: { "x-app": "celeriac" } });
    expect(r.messageId).toMatch(/^msg_/);
    await settle();
    expect(hits).toHaveLength(1);
    const h = hits[0]!;
    expect(h.path).toBe("/run?q=1");
    expect(JSON.parse(h.body)).toEqual({ hello: "world" });
    expect(h.headers.get("x-app")).toBe("celeriac");
    expect(h.headers.get("content-type")).toBe("application/json");
    expect(h.headers.get("upstash-message-id")).toBe(r.messageId);
    expect(h.headers.get("upstash-retried")).toBe("0");
    await expect(receiver.verify({ signature: h.headers.get("upstash-signature")!, body: h.body, url: `${dest.url}/run?q=1` })).resolves.toBe(true);
    await expect(receiver.verify({ signature: h.headers.get("upstash-signature")!, body: h.body + " " })).rejects.toThrow(/body hash/);
  });

  it("delay and notBefore hold a message until the clock reaches it; messages.get/cancel", async () => {
    reset();
    const a = await client.publish({ url: `${dest.url}/a`, body: "a", delay: 60 });
    const b = await client.publish({ url: `${dest.url}/b`, body: "b", notBefore: Math.floor(clock.now() / 1000) + 120 });
    const msg = await client.messages.get(a.messageId);
    expect(msg).toMatchObject({ messageId: a.messageId, url: `${dest.url}/a`, body: "a", notBefore: expect.any(Number) });
    expect(await client.messages.cancel(b.messageId)).toEqual({ cancelled: 1 });
    clock.advance(59_000);
    await settle();
    expect(hits).toHaveLength(0);
    clock.advance(62_000);
    await settle();
    expect(hits.map((h) => h.path)).toEqual(["/a"]);
    await expect(client.messages.get(a.messageId)).rejects.toThrow(/not found/);
  });

  it("retries non-2xx with QStash's backoff (e^2.5n s), then the DLQ keeps it; dlq retry/delete; failure callback", async () => {
    reset();
    answer = (p) => p === "/fail" ? new Response("nope", { status: 500 }) : new Response("ok");
    const r = await client.publish({ url: `${dest.url}/fail`, body: "x", retries: 2, failureCallback: `${dest.url}/failed` });
    await settle();
    expect(hits).toHaveLength(1);
    clock.advance(12_000);
    await settle();
    expect(hits).toHaveLength(1); // e^2.5 = 12.18 s
    clock.advance(200);
    await settle();
    expect(hits.map((h) => h.headers.get("upstash-retried"))).toEqual(["0", "1"]);
    clock.advance(Math.exp(5) * 1000 + 10);
    await settle();
    expect(hits.filter((h) => h.path === "/fail")).toHaveLength(3);
    const cb = hits.find((h) => h.path === "/failed")!;
    expect(JSON.parse(cb.body)).toMatchObject({ status: 500, sourceMessageId: r.messageId, retried: 2, maxRetries: 2, dlqId: expect.any(String) });
    const { messages } = await client.dlq.listMessages();
    const entry = messages.find((m) => m.messageId === r.messageId)!;
    expect(entry).toMatchObject({ responseStatus: 500, responseBody: "nope", url: `${dest.url}/fail` });
    answer = () => new Response("ok");
    const retried = await client.dlq.retry(entry.dlqId);
    expect(retried.responses).toHaveLength(1);
    await settle();
    expect(hits.filter((h) => h.path === "/fail")).toHaveLength(4);
    expect((await client.dlq.listMessages()).messages.find((m) => m.dlqId === entry.dlqId)).toBeUndefined();
  });

  it("489 + Upstash-NonRetryable-Error goes to the DLQ at once; dlq.delete removes it", async () => {
    reset();
    answer = () => new Response("bad", { status: 489, headers: { "upstash-nonretryable-error": "true" } });
    const r = await client.publish({ url: `${dest.url}/malformed`, body: "x" });
    await settle();
    expect(hits).toHaveLength(1);
    const entry = (await client.dlq.listMessages()).messages.find((m) => m.messageId === r.messageId)!;
    expect(entry.responseStatus).toBe(489);
    await client.dlq.delete(entry.dlqId);
    expect((await client.dlq.listMessages()).messages.find((m) => m.messageId === r.messageId)).toBeUndefined();
  });

  it("a deduplication id publishes once (202 deduplicated); batch is one call for many messages; callbacks", async () => {
    reset();
    const first = await client.publish({ url: `${dest.url}/d`, body: "1", deduplicationId: "same" });
    const second = await client.publish({ url: `${dest.url}/d`, body: "2", deduplicationId: "same" });
    expect(second).toMatchObject({ messageId: first.messageId, deduplicated: true });
    const before = q.stats.requests;
    const batch = await client.batchJSON([
      { url: `${dest.url}/b1`, body: { n: 1 }, callback: `${dest.url}/cb` },
      { url: `${dest.url}/b2`, body: { n: 2 } },
    ]);
    expect(q.stats.requests - before).toBe(1);
    expect(batch).toHaveLength(2);
    await settle();
    await settle();
    expect(hits.map((h) => h.path).sort()).toEqual(["/b1", "/b2", "/cb", "/d"]);
    const cb = JSON.parse(hits.find((h) => h.path === "/cb")!.body);
    expect(cb).toMatchObject({ status: 200, sourceMessageId: batch[0]!.messageId, body: btoa("ok") });
  });

  it("a queue with parallelism 1 delivers in order, one at a time, the next after the current one's retries", async () => {
    reset();
    const queue = client.queue({ queueName: "ordered" });
    await queue.upsert({ parallelism: 1 });
    let failOnce = true;
    answer = (p) => {
      if (p === "/q1" && failOnce) return failOnce = false, new Response("later", { status: 503 });
      return new Response("ok");
    };
    for (const n of [1, 2, 3]) await queue.enqueue({ url: `${dest.url}/q${n}`, body: String(n) });
    await settle();
    expect(hits.map((h) => h.path)).toEqual(["/q1"]);
    expect((await queue.get()).lag).toBe(3);
    clock.advance(13_000);
    await settle();
    await settle();
    expect(hits.map((h) => `${h.path}:${h.headers.get("upstash-retried")}`)).toEqual(["/q1:0", "/q1:1", "/q2:0", "/q3:0"]);
  });

  it("schedules: Upstash-Cron fires on the clock; list, pause, resume, delete", async () => {
    reset();
    const { scheduleId } = await client.schedules.create({ destination: `${dest.url}/tick`, cron: "* * * * *", body: "tick" });
    expect((await client.schedules.list()).map((s) => s.scheduleId)).toContain(scheduleId);
    expect(await client.schedules.get(scheduleId)).toMatchObject({ cron: "* * * * *", destination: `${dest.url}/tick`, isPaused: false });
    clock.advance(60_000);
    await settle();
    expect(hits).toHaveLength(1);
    expect(hits[0]!.headers.get("upstash-schedule-id")).toBe(scheduleId);
    await client.schedules.pause({ schedule: scheduleId });
    clock.advance(120_000);
    await settle();
    expect(hits).toHaveLength(1);
    await client.schedules.resume({ schedule: scheduleId });
    clock.advance(60_000);
    await settle();
    expect(hits).toHaveLength(2);
    await client.schedules.delete(scheduleId);
    clock.advance(120_000);
    await settle();
    expect(hits).toHaveLength(2);
    await expect(client.schedules.get(scheduleId)).rejects.toThrow(/not found/);
  });

  it("QSTASH_DEV mode: the unmodified Client and Receiver find the running server on QSTASH_DEV_PORT", async () => {
    reset();
    const env = globalThis.process.env;
    const saved = { port: env.QSTASH_DEV_PORT };
    env.QSTASH_DEV_PORT = String(q.port);
    try {
      const dev = new Client({ devMode: true, retry: false });
      const r = await dev.publish({ url: `${dest.url}/devmode`, body: "dev" });
      await settle();
      const h = hits.find((x) => x.path === "/devmode")!;
      expect(h.headers.get("upstash-message-id")).toBe(r.messageId);
      const devReceiver = new Receiver({ devMode: true });
      await expect(devReceiver.verify({ signature: h.headers.get("upstash-signature")!, body: h.body })).resolves.toBe(true);
    } finally {
      if (saved.port == null) delete env.QSTASH_DEV_PORT;
      else env.QSTASH_DEV_PORT = saved.port;
    }
  });
});
