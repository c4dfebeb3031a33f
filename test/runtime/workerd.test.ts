// The library in real workerd: wrangler's `unstable_startWorker` bundles
// test/fixtures/worker-app.ts with the settings of wrangler.toml (no nodejs_compat) and serves it
// from a local workerd process. Local only: no Cloudflare account, no remote bindings.
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Before wrangler/miniflare load: no usage metrics, and no download of the `Request.cf`
// placeholder from workers.cloudflare.com (miniflare falls back to a built-in one).
process.env.WRANGLER_SEND_METRICS = "false";
process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";

const config = fileURLToPath(new URL("../../wrangler.toml", import.meta.url));
const CRON = "* * * * *";

type StartedWorker = Awaited<ReturnType<typeof import("wrangler")["unstable_startWorker"]>>;
let worker: StartedWorker | undefined;

async function call(path: string, init?: { method?: string; body?: string }): Promise<{ status: number; body: any }> {
  const res = await worker!.fetch(`http://celeriac.test${path}`, init);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch { /* plain text answer (the scheduled trigger answers "ok") */ }
  return { status: res.status, body };
}

const post = (path: string, body?: unknown) =>
  call(path, { method: "POST", body: body === undefined ? undefined : JSON.stringify(body) });

/** Run the worker's `scheduled()` for one instant, as a Cron Trigger would. */
// `worker.scheduled()` of unstable_startWorker looks the Worker up in the wrong Miniflare in
// wrangler 4.86.0 (`"celeriac-edge" worker not found`), so use miniflare's handler route, which
// also lets the test choose `scheduledTime`.
const scheduled = (time: number) =>
  call(`/cdn-cgi/handler/scheduled?cron=${encodeURIComponent(CRON)}&time=${time}`);

beforeAll(async () => {
  const { unstable_startWorker } = await import("wrangler");
  worker = await unstable_startWorker({
    config,
    sendMetrics: false,
    dev: {
      remote: false,
      inspector: false,
      server: { hostname: "127.0.0.1", port: 0 },
      persist: false,
      watch: false,
      logLevel: "error",
    },
  });
  await worker.ready;
}, 60_000);

afterAll(async () => {
  await worker?.dispose();
}, 30_000);

describe("celeriac in workerd (wrangler local dev)", () => {
  it("runs in workerd, without nodejs_compat", async () => {
    const { status, body } = await call("/runtime");
    expect(status).toBe(200);
    expect(body.userAgent).toBe("Cloudflare-Workers");
    expect(body.hasWebSocketPair).toBe(true);
    expect(body.hasProcess).toBe(false);
  });

  it("enqueues, drains through worker.fetch and reads the result", async () => {
    const sent = await post("/enqueue", { a: 2, b: 2 });
    expect(sent.status).toBe(200);
    expect(typeof sent.body.id).toBe("string");

    expect((await call(`/result/${sent.body.id}`)).body).toEqual({ state: "PENDING", result: null });

    const drained = await post("/drain");
    expect(drained.status).toBe(200);
    expect(drained.body).toMatchObject({ processed: 1, succeeded: 1, failed: 0 });

    expect((await call(`/result/${sent.body.id}`)).body).toEqual({ state: "SUCCESS", result: 4 });
  });

  it("the built-in handler refuses anything but POST", async () => {
    const res = await call("/drain");
    expect(res.status).toBe(405);
  });

  it("stores a failing task as FAILURE with its exception type", async () => {
    const sent = await post("/fail");
    expect((await post("/drain")).body).toMatchObject({ processed: 1, failed: 1 });
    const { body } = await call(`/result/${sent.body.id}`);
    expect(body.state).toBe("FAILURE");
    expect(body.result).toMatchObject({ exc_type: "RangeError" });
    expect(JSON.stringify(body.result)).toContain("boom");
  });

  it("a bound task that retries once succeeds on the second drain", async () => {
    const sent = await post("/flaky");
    expect((await post("/drain")).body).toMatchObject({ processed: 1, retried: 1 });
    expect((await call(`/result/${sent.body.id}`)).body.state).toBe("RETRY");

    // countdown 0.05 s: wait it out, then the delayed message is due.
    await new Promise((r) => setTimeout(r, 200));
    expect((await post("/drain")).body).toMatchObject({ processed: 1, succeeded: 1 });
    expect((await call(`/result/${sent.body.id}`)).body).toEqual({ state: "SUCCESS", result: "report after 1 retry" });
  });

  it("runs a chain: add(add(2, 2), 4) = 8", async () => {
    const { status, body } = await post("/chain");
    expect(status).toBe(200);
    expect(body).toMatchObject({ state: "SUCCESS", result: 8 });
    expect(body.drained).toMatchObject({ processed: 2, succeeded: 2 });
    expect((await call(`/result/${body.id}`)).body).toEqual({ state: "SUCCESS", result: 8 });
  });

  it("scheduled() runs beat: once per minute however often the trigger fires", async () => {
    const minute = Math.floor(Date.now() / 60_000) * 60_000;
    const before = (await call("/stats")).body;

    expect(await scheduled(minute + 5_000)).toEqual({ status: 200, body: "ok" });
    expect(await scheduled(minute + 15_000)).toEqual({ status: 200, body: "ok" });
    // scheduled() returns after ctx.waitUntil settled: the tick and its drain are done.
    const same = (await call("/stats")).body;
    expect(same.ticks - before.ticks).toBe(2);
    expect(same.beatRuns - before.beatRuns).toBe(1);

    expect(await scheduled(minute + 65_000)).toEqual({ status: 200, body: "ok" });
    const later = (await call("/stats")).body;
    expect(later.ticks - before.ticks).toBe(3);
    expect(later.beatRuns - before.beatRuns).toBe(2);
    // Beat task ids are derived from (entry, slot): two different slots, two different ids.
    expect(new Set(later.beatTaskIds).size).toBe(later.beatTaskIds.length);
  });
});
