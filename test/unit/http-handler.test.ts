import { describe, expect, it } from "vitest";
import { buildMessage, Celeriac, encodeMessage, SignatureError } from "../../mod.ts";

function setup() {
  const app = new Celeriac("http");
  const add = app.task("tasks.add", (a: number, b: number) => a + b);
  return { app, add };
}

const post = (body = "", url = "https://w.example/tasks", headers: Record<string, string> = {}) =>
  new Request(url, { method: "POST", body, headers });

describe("worker.fetch", () => {
  it("an empty POST drains the pull broker and reports what ran", async () => {
    const { app, add } = setup();
    const r = await add.delay(1, 2);
    const res = await app.worker().fetch(post());
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ processed: 1, succeeded: 1 });
    expect(await r.get()).toBe(3);
  });

  it("query limits can only lower the configured drain limits", async () => {
    const { app, add } = setup();
    for (let i = 0; i < 5; i++) await add.delay(i, i);
    const res = await app.worker({ http: { drain: { maxTasks: 3 } } }).fetch(post("", "https://w.example/t?maxTasks=10"));
    expect((await res.json()).processed).toBe(3);
  });

  it("a POSTed Celery envelope runs that message", async () => {
    const { app } = setup();
    const msg = buildMessage({ task: "tasks.add", args: [20, 22], queue: "celery" });
    const res = await app.worker().fetch(post(encodeMessage(msg)));
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

  it("malformed messages get 422 with the reason; not-yet-due ones 503 with Retry-After; GET 405", async () => {
    const { app } = setup();
    const bad = await app.worker().fetch(post("{nope"));
    expect(bad.status).toBe(422);
    expect((await bad.json()).error).toMatch(/not valid JSON/);
    const later = buildMessage({ task: "tasks.add", args: [1, 1], queue: "celery", eta: Date.now() + 5000 });
    const wait = await app.worker().fetch(post(encodeMessage(later)));
    expect(wait.status).toBe(503);
    expect(Number(wait.headers.get("retry-after"))).toBeGreaterThanOrEqual(4);
    expect((await app.worker().fetch(new Request("https://w.example/"))).status).toBe(405);
  });
});
