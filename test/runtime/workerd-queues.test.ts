// The Cloudflare stack in real workerd (wrangler local dev, local queues): a Hono route
// enqueues onto Cloudflare Queues, the Worker's queue() consumer runs the task, results land in
// real Redis through the local Upstash endpoint, and the Hono result route reads them back.
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { beatTaskId } from "../../src/beat/slot-id.ts";
import { startUpstash, type UpstashEnv } from "../support/upstash.ts";

process.env.WRANGLER_SEND_METRICS = "false";
process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";

const config = fileURLToPath(new URL("../fixtures/queues.wrangler.toml", import.meta.url));
const TOKEN = "test-token";
const auth = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };

type StartedWorker = Awaited<ReturnType<typeof import("wrangler")["unstable_startWorker"]>>;
let worker: StartedWorker | undefined;
let upstash: UpstashEnv | undefined;

async function call(path: string, init: RequestInit = {}): Promise<{ status: number; body: any }> {
  const res = await worker!.fetch(`http://celeriac.test${path}`, init as never);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch { /* plain text */ }
  return { status: res.status, body };
}

const enqueue = (name: string, body: unknown) => call(`/tasks/${name}`, { method: "POST", headers: auth, body: JSON.stringify(body) });

/** Poll the result route until the task is in a final state (generous deadline, no fixed sleeps). */
async function settled(id: string, timeoutMs = 60_000): Promise<any> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await call(`/tasks/${id}`, { headers: auth });
    if (["SUCCESS", "FAILURE", "REVOKED"].includes(body.state)) return body;
    if (Date.now() > end) throw new Error(`task ${id} still ${body.state} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  upstash = await startUpstash("workerd-queues");
  const { unstable_startWorker } = await import("wrangler");
  worker = await unstable_startWorker({
    config,
    sendMetrics: false,
    bindings: {
      UPSTASH_REDIS_REST_URL: { type: "plain_text", value: upstash.server.url },
      UPSTASH_REDIS_REST_TOKEN: { type: "plain_text", value: upstash.server.token },
      CELERIAC_REDIS_PREFIX: { type: "plain_text", value: upstash.prefix("cf") },
      API_TOKEN: { type: "plain_text", value: TOKEN },
    },
    dev: {
      remote: false, inspector: false, server: { hostname: "127.0.0.1", port: 0 },
      persist: false, watch: false, logLevel: "error",
    },
  });
  await worker.ready;
}, 90_000);

afterAll(async () => {
  await worker?.dispose();
  await upstash?.close();
}, 30_000);

describe("Cloudflare Queues + Hono + Upstash results, in workerd", () => {
  it("the Hono route refuses a request without the bearer token", async () => {
    expect((await call("/tasks/tasks.add", { method: "POST", body: "{}" })).status).toBe(401);
  });

  it("enqueue via the Hono route → the queue consumer runs it → the result route reads it", async () => {
    const sent = await enqueue("tasks.add", { args: [2, 3] });
    expect(sent.status).toBe(202);
    expect(await settled(sent.body.id)).toEqual({ id: sent.body.id, state: "SUCCESS", result: 5 });
  });

  it("a chord whose header arrives in one consumer batch runs its body once", async () => {
    const sent = await call("/fanout?n=10", { method: "POST" });
    expect(sent.status).toBe(202);
    expect(await settled(sent.body.id)).toMatchObject({ state: "SUCCESS", result: 90 });
  });

  it("a task retry travels as a delayed queue message and then succeeds", async () => {
    const sent = await enqueue("tasks.flaky", { args: ["report"] });
    expect(await settled(sent.body.id)).toMatchObject({ state: "SUCCESS", result: "report after 1 retry" });
  });

  it("a malformed queue message is acked and kept as a dead letter", async () => {
    expect((await call("/garbage", { method: "POST" })).status).toBe(202);
    const end = Date.now() + 60_000;
    let letters: any[] = [];
    while (!letters.length && Date.now() < end) {
      letters = (await call("/dead-letters")).body;
      if (!letters.length) await new Promise((r) => setTimeout(r, 100));
    }
    expect(letters).toEqual([expect.objectContaining({ queue: "celeriac-jobs", body: "this is not a celery message" })]);
    expect(letters[0].reason).toContain("not valid JSON");
  });

  it("a Cron Trigger ticks beat; the entry runs through the queue", async () => {
    const minute = Math.floor(Date.now() / 60_000) * 60_000;
    const tick = await call(`/cdn-cgi/handler/scheduled?cron=${encodeURIComponent("* * * * *")}&time=${minute + 5_000}`);
    expect(tick).toEqual({ status: 200, body: "ok" });
    const id = await beatTaskId("heartbeat", minute);
    expect(await settled(id)).toEqual({ id, state: "SUCCESS", result: "beat" });
  });
});
