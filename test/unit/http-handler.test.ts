import { describe, expect, it } from "vitest";
import { buildMessage, Celeriac, encodeMessage, SignatureError } from "../../mod.ts";

function setup() {
  const app = new Celeriac("http");
  const add = app.task("tasks.add", (a: number, b: number) => a + b);
  return { app, add };
}

const open = { http: { insecureNoVerify: true } };

const post = (body = "", url = "https://w.example/tasks", headers: Record<string, string> = {}) =>
  new Request(url, { method: "POST", body, headers });

describe("worker.fetch", () => {
  it("an empty POST drains the pull broker and reports what ran", async () => {
    const { app, add } = setup();
    const r = await add.delay(1, 2);
    const res = await app.worker(open).fetch(post());
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ processed: 1, succeeded: 1 });
    expect(await r.get()).toBe(3);
  });

  it("query limits can only lower the configured drain limits", async () => {
    const { app, add } = setup();
    for (let i = 0; i < 5; i++) await add.delay(i, i);
    const res = await app.worker({ http: { insecureNoVerify: true, drain: { maxTasks: 3 } } }).fetch(post("", "https://w.example/t?maxTasks=10"));
    expect((await res.json()).processed).toBe(3);
  });

  it("a POSTed Celery envelope runs that message", async () => {
    const { app } = setup();
    const msg = buildMessage({ task: "tasks.add", args: [20, 22], queue: "celery" });
    const res = await app.worker(open).fetch(post(encodeMessage(msg)));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ taskId: msg.headers.id, state: "SUCCESS" });
    expect(await app.AsyncResult(msg.headers.id).get()).toBe(42);
  });

  it("a forged request gets 401 and runs nothing", async () => {
    const { app } = setup();
    const verify = (req: Request) =>
      req.headers.get("x-sig") === "good" ? req.text() : Promise.reject(new SignatureError("bad signature"));
    const msg = buildMessage({ task: "tasks.add", args: [1, 1], queue: "celery" });
    const res = await app.worker({ http: { verify } }).fetch(post(encodeMessage(msg), undefined, { "x-sig": "forged" }));
    expect(res.status).toBe(401);
    expect(await app.AsyncResult(msg.headers.id).state).toBe("PENDING");
  });

  it("malformed messages get 489 with the reason; not-yet-due ones 503 with Retry-After; GET 405", async () => {
    const { app } = setup();
    const bad = await app.worker(open).fetch(post("{nope"));
    expect(bad.status).toBe(489);
    expect(bad.headers.get("upstash-nonretryable-error")).toBe("true");
    expect((await bad.json()).error).toMatch(/not valid JSON/);
    const later = buildMessage({ task: "tasks.add", args: [1, 1], queue: "celery", eta: Date.now() + 5000 });
    const wait = await app.worker(open).fetch(post(encodeMessage(later)));
    expect(wait.status).toBe(503);
    expect(Number(wait.headers.get("retry-after"))).toBeGreaterThanOrEqual(4);
    expect((await app.worker(open).fetch(new Request("https://w.example/"))).status).toBe(405);
  });

  it("closed by default: without verify or insecureNoVerify an envelope, an empty drain POST and a link callback run nothing (401)", async () => {
    const { app, add } = setup();
    const queued = await add.delay(1, 2);
    const msg = buildMessage({ task: "tasks.add", args: [1, 1], queue: "celery", embed: { callbacks: [add.s(5).toJSON()] } });
    for (const body of [encodeMessage(msg), ""]) {
      const res = await app.worker().fetch(post(body));
      expect(res.status).toBe(401);
      expect((await res.json()).error).toMatch(/insecureNoVerify/);
    }
    expect(await app.AsyncResult(msg.headers.id).state).toBe("PENDING");
    expect(await queued.state).toBe("PENDING");
  });

  it("a body over maxBodyBytes gets 413, also when streamed without a content-length", async () => {
    const { app } = setup();
    const w = app.worker({ http: { insecureNoVerify: true, maxBodyBytes: 1000 } });
    expect((await w.fetch(post("x".repeat(1001)))).status).toBe(413);
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        pulled++;
        c.enqueue(new Uint8Array(400));
      },
    });
    const req = new Request("https://w.example/", { method: "POST", body: stream, duplex: "half" } as RequestInit);
    expect((await w.fetch(req)).status).toBe(413);
    expect(pulled).toBeLessThan(10);
    const msg = buildMessage({ task: "tasks.add", args: [2, 3], queue: "celery" });
    expect((await w.fetch(post(encodeMessage(msg)))).status).toBe(200);
  });

  it("a replayed id whose stored state is final is answered 200 without running again", async () => {
    const app = new Celeriac("http");
    let runs = 0;
    app.task("tasks.count", () => ++runs);
    const w = app.worker(open);
    const body = encodeMessage(buildMessage({ task: "tasks.count", queue: "celery" }));
    for (let i = 0; i < 3; i++) {
      const res = await w.fetch(post(body, undefined, { "upstash-retried": String(i) }));
      expect(await res.json()).toMatchObject({ state: "SUCCESS" });
    }
    expect(runs).toBe(1);
  });

  it("a backend failure answers 503 so the platform redelivers", async () => {
    const { app } = setup();
    app.backend.get = () => Promise.reject(new Error("backend unreachable"));
    const msg = buildMessage({ task: "tasks.add", args: [1, 1], queue: "celery" });
    const res = await app.worker(open).fetch(post(encodeMessage(msg)));
    expect(res.status).toBe(503);
    expect((await res.json()).error).toMatch(/backend unreachable/);
  });
});
