// The dashboard in real headless Chromium (Debian's /usr/bin/chromium through playwright-core),
// served by @hono/node-server over the Upstash adapter on the local Upstash-compatible endpoint
// (real redis-server). The run has a success, a failure with a traceback, a retry, a chord, a
// dead letter and a task reporting PROGRESS; the test clicks revoke and redrive, asserts the
// DOM and the stored state, and saves test-output/dashboard.png.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Hono } from "hono";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, dashboard } from "../../adapters/hono/mod.ts";
import { upstashRedisBackend, upstashRedisBroker } from "../../adapters/upstash-redis/mod.ts";
import { Celeriac, chord } from "../../mod.ts";
import { serve } from "../../workers/node/serve.ts";
import { startUpstash, type UpstashEnv } from "../support/upstash.ts";

const CHROMIUM = "/usr/bin/chromium";
const TOKEN = "dash-token";
const OUT = join(import.meta.dirname, "../../test-output");

let env: UpstashEnv;
let browser: BrowserContext;
let profile: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);
  env = await startUpstash("dash-chromium");
  profile = mkdtempSync(join(tmpdir(), "celeriac-chromium-"));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, extraHTTPHeaders: { authorization: `Bearer ${TOKEN}` },
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
    viewport: { width: 1400, height: 1000 },
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await env?.close();
});

describe("dashboard in headless Chromium", () => {
  it("shows a real run, revokes a retrying task and redrives a dead letter", async () => {
    const redis = env.client();
    const prefix = env.prefix("dash");
    const broker = upstashRedisBroker({ redis, prefix });
    const app = new Celeriac("shop", { broker, backend: upstashRedisBackend({ redis, prefix }), conf: { resultExtended: true } });
    const add = app.task("shop.add", (a: number, b: number) => a + b);
    const total = app.task("shop.total", (xs: number[]) => xs.reduce((a, b) => a + b, 0));
    app.task("shop.charge", (card: string) => {
      throw new RangeError(`card ${card} declined`);
    });
    app.task("shop.sync", { bind: true }, (self) => self.retry({ countdown: 3600 }));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    app.task("shop.import", { bind: true }, async (self) => {
      await self.updateState("PROGRESS", { current: 42, total: 100 });
      await gate;
      return "imported";
    });

    const ok = await add.delay(2, 3);
    const failed = await app.sendTask("shop.charge", ["<b>4242</b>"]);
    const retrying = await app.sendTask("shop.sync");
    const joined = await chord([add.s(1, 1), add.s(2, 2)], total.s()).delay();
    const dead = await app.sendTask("shop.unknown", ["lost"]);
    await app.worker().drain();
    await app.worker().drain(); // the chord body
    expect(await joined.get({ timeout: 10_000 })).toBe(6);
    const progress = await app.sendTask("shop.import");
    const running = app.worker().drain();
    await expect.poll(() => progress.state, { timeout: 10_000 }).toBe("PROGRESS");

    const api = new Hono().route("/celeriac", dashboard(app, { auth: bearer(TOKEN), pollMs: 300 }));
    const served = await serve(app, { hono: api, port: 0, hostname: "127.0.0.1", worker: false, beat: false });
    const page: Page = await browser.newPage();
    const problems: string[] = [];
    page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
    page.on("pageerror", (e) => problems.push(e.message));
    page.on("response", (r) => r.status() >= 400 && problems.push(`${r.status()} ${r.url()}`));
    const external: string[] = [];
    page.on("request", (r) => !r.url().startsWith(served.url) && external.push(r.url()));
    try {
      const row = (id: string) => page.locator(`tr[data-task-id="${id}"]`);
      await page.goto(`${served.url}/celeriac`);
      await page.waitForSelector(`tr[data-task-id="${ok.id}"][data-state="SUCCESS"]`);
      expect(await row(ok.id).locator(".call").textContent()).toBe("shop.add([2,3])");
      expect(await row(ok.id).locator(".result").textContent()).toBe("5");
      await page.waitForSelector(`tr[data-task-id="${failed.id}"][data-state="FAILURE"]`);
      expect(await row(failed.id).locator(".call").textContent()).toBe('shop.charge(["<b>4242</b>"])'); // shown as text
      expect(await row(failed.id).locator("b").count()).toBe(0);
      await row(failed.id).locator("summary").click();
      expect(await row(failed.id).locator("pre.traceback").textContent()).toMatch(/RangeError: card <b>4242<\/b> declined/);
      await page.waitForSelector(`tr[data-task-id="${retrying.id}"][data-state="RETRY"]`);
      expect(await page.locator(`tr[data-task-id="${joined.id}"][data-state="SUCCESS"] .result`).textContent()).toBe("6");
      expect(await page.locator(`tr[data-dead-id="${dead.id}"]`).textContent()).toContain("shop.unknown");
      const bar = row(progress.id).locator("progress");
      expect([await bar.getAttribute("value"), await bar.getAttribute("max")]).toEqual(["42", "100"]);
      expect(await row(progress.id).locator(".progress-text").textContent()).toBe("42/100");
      expect(await page.locator("#count-unacked").textContent()).toBe("1");
      expect(await page.locator("#count-delayed").textContent()).toBe("1"); // the retry waits for its countdown
      expect(await page.locator("#count-dead").textContent()).toBe("1");
      await page.locator("#workers").waitFor();
      mkdirSync(OUT, { recursive: true });
      await page.screenshot({ path: join(OUT, "dashboard.png"), fullPage: true });

      await row(retrying.id).locator('button[data-action="revoke"]').click();
      await page.waitForSelector(`tr[data-task-id="${retrying.id}"][data-state="REVOKED"]`);
      expect(await row(retrying.id).locator(".call").textContent()).toBe("shop.sync([])"); // the record keeps what it was
      expect(await page.locator("#flash").textContent()).toBe(`revoked ${retrying.id}`);
      expect(await app.AsyncResult(retrying.id).state).toBe("REVOKED");

      await page.locator('button[data-action="redrive"]').click();
      await expect.poll(() => page.locator("#count-dead").textContent(), { timeout: 15_000 }).toBe("0");
      expect(await page.locator("#flash").textContent()).toBe("redrove 1");
      expect(await page.locator(`tr[data-queue="celery"] .waiting`).textContent()).toBe("1");
      expect(await broker.size("celery")).toBe(1);
      // The fragment replaced on every poll keeps an opened traceback open.
      await row(failed.id).locator("pre.traceback").waitFor({ state: "visible" });
      await page.screenshot({ path: join(OUT, "dashboard-after.png"), fullPage: true });
      expect(problems).toEqual([]);
      expect(external).toEqual([]);
    } finally {
      release();
      await running;
      await browser.close(); // first: its keep-alive connections would hold the server's close
      await served.stop();
    }
    expect(await progress.get({ timeout: 10_000 })).toBe("imported");
  }, 120_000); // a deadline for a loaded machine, not a measured time
});
