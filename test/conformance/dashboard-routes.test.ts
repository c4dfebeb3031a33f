// The dashboard sub-app (adapters/hono/dashboard.ts) through Hono's `app.request()` on the
// memory adapters: auth and CSRF refusals, escaping of user data, progress, workers' online
// state, revoke and redrive. In the conformance project, so it runs on Node, Deno and Bun.
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { memoryBackend, memoryBroker } from "../../adapters/memory/mod.ts";
import { basic, bearer, CSRF_HEADER, dashboard, type Snapshot } from "../../adapters/hono/mod.ts";
import { AdapterError, Celeriac, ConfigError } from "../../mod.ts";
import { manualClock } from "../support/clock.ts";

const TOKEN = "s3cret-token";
const AUTH = { authorization: `Bearer ${TOKEN}` };
const XSS = `<script>alert("x")</script><img src=x onerror=alert(1)>`;

function setup() {
  const clock = manualClock(1_700_000_000_000);
  const broker = memoryBroker({ now: clock.now });
  const backend = memoryBackend({ now: clock.now });
  const app = new Celeriac("dash", { clock, broker, backend, conf: { resultExtended: true } });
  app.task("t.ok", (s: string) => s.length);
  app.task("t.boom", (s: string) => {
    throw new TypeError(s);
  });
  app.task("t.again", { bind: true }, (self) => self.retry({ countdown: 600 }));
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  app.task("t.progress", { bind: true }, async (self) => {
    await self.updateState("PROGRESS", { current: 3, total: 10 });
    await gate;
    return "done";
  });
  const api = new Hono().route("/celeriac", dashboard(app, { auth: bearer(TOKEN) }));
  return { app, api, clock, broker, backend, release };
}

const post = (api: Hono, path: string, headers: Record<string, string> = {}, body = "{}") =>
  api.request(path, { method: "POST", body, headers: { ...AUTH, [CSRF_HEADER]: "1", "content-type": "application/json", ...headers } });

describe("dashboard(app, opts)", () => {
  it("refuses to mount without auth unless insecure: true", () => {
    const app = new Celeriac("x");
    expect(() => dashboard(app)).toThrow(ConfigError);
    expect(() => dashboard(app, { insecure: true })).not.toThrow();
    expect(() => dashboard(app, { insecure: true, tasks: 0 })).toThrow(ConfigError);
    expect(() => dashboard(app, { insecure: true, deadLetters: 5000 })).toThrow(/deadLetters must be an integer 1–1000/);
  });

  it("the page's own requests go to its mount path, or basePath (trailing and doubled slashes dropped)", async () => {
    const { api } = setup();
    expect(await (await api.request("/celeriac", { headers: AUTH })).text()).toContain('data-base="/celeriac"');
    const app = new Celeriac("p");
    const proxied = new Hono().route("/x", dashboard(app, { insecure: true, basePath: "//evil.example/ops/" }));
    expect(await (await proxied.request("/x")).text()).toContain('data-base="/evil.example/ops"');
  });

  it("every route needs auth: 401 with a challenge, nothing run", async () => {
    const { api, app } = setup();
    const r = await app.sendTask("t.ok", ["a"]);
    for (const [method, path] of [["GET", "/celeriac"], ["GET", "/celeriac/fragment"], ["GET", "/celeriac/api/snapshot"], ["POST", `/celeriac/api/revoke/${r.id}`], ["POST", "/celeriac/api/redrive"]]) {
      const res = await api.request(path!, { method, headers: { authorization: "Bearer wrong", [CSRF_HEADER]: "1" } });
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(res.headers.get("www-authenticate")).toBe("Bearer");
    }
    expect(await app.AsyncResult(r.id).state).toBe("PENDING");
  });

  it("basic(user, password) auth with a Basic challenge", async () => {
    const app = new Celeriac("b");
    const api = new Hono().route("/d", dashboard(app, { auth: basic("admin", "pw") }));
    const no = await api.request("/d");
    expect(no.status).toBe(401);
    expect(no.headers.get("www-authenticate")).toMatch(/^Basic realm="celeriac"/);
    expect((await api.request("/d", { headers: { authorization: `Basic ${btoa("admin:bad")}` } })).status).toBe(401);
    expect((await api.request("/d", { headers: { authorization: "Basic !!notbase64" } })).status).toBe(401);
    expect((await api.request("/d", { headers: { authorization: `Basic ${btoa("admin:pw")}` } })).status).toBe(200);
    expect(() => basic("admin", "")).toThrow(ConfigError);
  });

  it("renders queues, tasks (escaped), traceback, progress and dead letters; CSP with a nonce", async () => {
    const { app, api, release } = setup();
    await app.sendTask("t.ok", [XSS]);
    await app.sendTask("t.boom", [XSS]);
    await app.sendTask("t.unknown", [XSS]);
    await app.worker().drain();
    const progress = await app.sendTask("t.progress");
    const running = app.worker().drain();
    await expect.poll(() => progress.state, { timeout: 10_000 }).toBe("PROGRESS");
    const res = await api.request("/celeriac", { headers: AUTH });
    expect(res.status).toBe(200);
    const csp = res.headers.get("content-security-policy")!;
    expect(csp).toMatch(/default-src 'none'; script-src 'nonce-[A-Za-z0-9]+'/);
    const page = await res.text();
    expect(page).not.toContain("<script>alert");
    expect(page).not.toContain("<img src=x");
    expect(page).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect(page.match(/<script/g)).toHaveLength(1); // the page's own script only
    expect(page).toMatch(/<pre class="traceback">[^<]*TypeError/);
    expect(page).toMatch(/<progress max="10" value="3"><\/progress> <span class="progress-text">3\/10<\/span>/);
    expect(page).toMatch(/<tr data-queue="celery"><td>celery<\/td><td class="num waiting">0<\/td><\/tr>/);
    expect(page).toContain('id="count-dead">1<');
    expect(page).toContain('id="count-unacked">1<'); // the PROGRESS task, running
    expect(page).toMatch(/<tr data-dead-id="[0-9a-f-]+"><td class="id">[0-9a-f-]+<\/td><td>t.unknown<\/td><td>\[&quot;&lt;script&gt;/);
    expect(page).not.toMatch(/https?:\/\//); // nothing loaded from elsewhere
    release();
    await running;
    expect(await progress.get()).toBe("done");
  });

  it("snapshot JSON: waiting, delayed, unacked, dead and the recent records newest first", async () => {
    const { app, api } = setup();
    const again = await app.sendTask("t.again");
    await app.worker().drain(); // RETRY: the retried message waits delayed
    const ok = await app.sendTask("t.ok", ["abc"]);
    await app.worker().drain();
    await app.sendTask("t.ok", ["x"]);
    const s = await (await api.request("/celeriac/api/snapshot", { headers: AUTH })).json() as Snapshot;
    expect(s.queues).toEqual([{ name: "celery", waiting: 1 }]);
    expect([s.delayed, s.unacked, s.dead]).toEqual([1, 0, 0]);
    expect(s.tasks!.map((t) => [t.id, t.state, t.name, t.args, t.result, t.revocable])).toEqual([
      [ok.id, "SUCCESS", "t.ok", ["abc"], 3, false],
      [again.id, "RETRY", "t.again", [], expect.objectContaining({ exc_type: "Retry" }), true],
    ]);
  });

  it("workers are online while now < timestamp + 2 * freq", async () => {
    const { app, api, clock, backend } = setup();
    const base = { sw_ident: "celeriac", sw_ver: "0", sw_sys: "test", queues: ["celery", "media"], mode: "loop" as const, active: 1, processed: 7 };
    const activeTasks = [{ id: "abc", name: XSS, time_start: clock.now() / 1000 }];
    await backend.recordWorker({ ...base, hostname: "w1@h", timestamp: clock.now() / 1000, freq: 2, activeTasks }, 60_000);
    await backend.recordWorker({ ...base, hostname: "w2@h", timestamp: clock.now() / 1000 - 5, freq: 2 }, 60_000);
    const s = await (await api.request("/celeriac/api/snapshot", { headers: AUTH })).json() as Snapshot;
    expect(s.workers!.map((w) => [w.hostname, w.online, w.processed])).toEqual([["w1@h", true, 7], ["w2@h", false, 7]]);
    expect(s.queues.map((q) => q.name)).toEqual(["celery", "media"]);
    const page = await (await api.request("/celeriac/fragment", { headers: AUTH })).text();
    expect(page).toContain('data-worker="w1@h" data-online="true"');
    expect(page).toContain('data-worker="w2@h" data-online="false"');
    expect(page).toContain('<td class="running">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;[abc]</td>');
    void app;
  });

  it("POST refuses cross-site requests (CSRF): no header, foreign Origin, Sec-Fetch-Site", async () => {
    const { app, api } = setup();
    const r = await app.sendTask("t.ok", ["a"]);
    const path = `/celeriac/api/revoke/${r.id}`;
    const noHeader = await api.request(path, { method: "POST", headers: AUTH });
    expect([noHeader.status, (await noHeader.json()).error]).toEqual([403, `missing ${CSRF_HEADER} header`]);
    expect((await post(api, path, { origin: "https://evil.example", host: "localhost" })).status).toBe(403);
    expect((await post(api, path, { "sec-fetch-site": "cross-site" })).status).toBe(403);
    expect((await post(api, path, { origin: "not a url" })).status).toBe(403);
    expect(await app.AsyncResult(r.id).state).toBe("PENDING");
    const ok = await post(api, path, { origin: "http://localhost", host: "localhost", "sec-fetch-site": "same-origin" });
    expect([ok.status, await ok.json()]).toEqual([200, { revoked: [r.id] }]);
    expect(await app.AsyncResult(r.id).state).toBe("REVOKED");
    expect((await app.worker().drain()).revoked).toBe(1); // the worker does not run it
    const proxied = await post(api, path, { origin: "https://ops.example", host: "10.0.0.5:8080", "x-forwarded-host": "ops.example" });
    expect(proxied.status).toBe(200);
  });

  it("a store that is down: 503 with the adapter's message on the page, the fragment and the JSON", async () => {
    const { app, api, backend } = setup();
    backend.recent = () => Promise.reject(new AdapterError("memory", "recent failed: connection refused", { retryable: true }));
    for (const path of ["/celeriac", "/celeriac/fragment", "/celeriac/api/snapshot"]) {
      const res = await api.request(path, { headers: AUTH });
      expect([res.status, res.headers.get("retry-after"), (await res.json()).error]).toEqual([503, "5", "[celeriac] [memory] recent failed: connection refused"]);
    }
    app.broker.revoke = () => Promise.reject(new AdapterError("memory", "revoke failed: connection refused", { retryable: true }));
    const res = await post(api, "/celeriac/api/revoke/some-id");
    expect([res.status, (await res.json()).error]).toEqual([503, "[celeriac] [memory] revoke failed: connection refused"]);
  });

  it("revoke refuses an over-long id; redrive moves dead letters back and checks its body", async () => {
    const { app, api, broker } = setup();
    expect((await post(api, `/celeriac/api/revoke/${"x".repeat(256)}`)).status).toBe(400);
    await app.sendTask("t.unknown");
    await app.worker().drain();
    expect((await broker.deadLetters()).length).toBe(1);
    expect((await post(api, "/celeriac/api/redrive", {}, "{nope")).status).toBe(400);
    expect((await post(api, "/celeriac/api/redrive", {}, '{"limit":0}')).status).toBe(400);
    expect((await post(api, "/celeriac/api/redrive", {}, '{"queue":5}')).status).toBe(400);
    expect((await post(api, "/celeriac/api/redrive", {}, "x".repeat(5000))).status).toBe(413);
    const res = await post(api, "/celeriac/api/redrive");
    expect(await res.json()).toEqual({ moved: 1 });
    expect([await broker.size("celery"), (await broker.deadLetters()).length]).toEqual([1, 0]);
  });
});
