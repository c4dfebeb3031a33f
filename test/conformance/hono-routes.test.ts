// The Hono sub-app (adapters/hono) through Hono's own `app.request()`. In the conformance
// project, so test/run-all.sh runs it on Node, Deno and Bun.
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import * as z from "zod";
import { bearer, celeriac, timingSafeEqual } from "../../adapters/hono/mod.ts";
import { Celeriac, ConfigError, encodeMessage, every, SignatureError } from "../../mod.ts";

function setup() {
  // A fixed clock: beat slots (the _tick case) cannot roll over between two requests.
  const app = new Celeriac("hono", { clock: { now: () => 1_700_000_000_000 } });
  const add = app.task("tasks.add", { args: z.tuple([z.number(), z.number()]) }, (a: number, b: number) => a + b);
  const boom = app.task("tasks.boom", (why: string) => {
    throw new RangeError(why);
  });
  const secret = app.task("tasks.secret", () => "hidden");
  return { app, add, boom, secret };
}

const post = (api: Hono, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  api.request(path, { method: "POST", body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body), headers });

describe("celeriac(app, opts) Hono routes", () => {
  it("exposes nothing by default: every name is 404", async () => {
    const { app } = setup();
    const api = new Hono().route("/tasks", celeriac(app, { expose: [] }));
    const res = await post(api, "/tasks/tasks.add", { args: [1, 2] });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: "no task tasks.add" });
  });

  it("POST /:name → 202 {id}; the worker runs it; GET /:id → SUCCESS with the result", async () => {
    const { app, add } = setup();
    const api = new Hono().route("/tasks", celeriac(app, { expose: [add] }));
    const res = await post(api, "/tasks/tasks.add", { args: [2, 3] });
    expect(res.status).toBe(202);
    const { id } = await res.json();
    expect(await (await api.request(`/tasks/${id}`)).json()).toEqual({ id, state: "PENDING", result: null });
    await app.worker().drain();
    expect(await (await api.request(`/tasks/${id}`)).json()).toEqual({ id, state: "SUCCESS", result: 5 });
  });

  it("unexposed and unknown names are 404 alike; nothing is sent", async () => {
    const { app, add } = setup();
    const api = celeriac(app, { expose: [add, "tasks.nope"] });
    expect((await post(api, "/tasks.secret")).status).toBe(404);
    expect((await post(api, "/tasks.nope")).status).toBe(404);
    expect((await app.worker().drain()).processed).toBe(0);
  });

  it("arguments failing the task's schema → 400 with the issues, nothing sent", async () => {
    const { app, add } = setup();
    const api = celeriac(app, { expose: [add] });
    const res = await post(api, "/tasks.add", { args: [1, "two"] });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.error).toContain("invalid args");
    expect(body.issues).toEqual([expect.objectContaining({ path: [1], message: expect.any(String) })]);
    expect((await app.worker().drain()).processed).toBe(0);
  });

  it("malformed bodies and options a client may not set → 400", async () => {
    const { app, add } = setup();
    const api = celeriac(app, { expose: [add] });
    expect((await post(api, "/tasks.add", "{nope")).status).toBe(400);
    expect((await post(api, "/tasks.add", [1, 2])).status).toBe(400);
    expect((await post(api, "/tasks.add", { args: 1 })).status).toBe(400);
    expect((await post(api, "/tasks.add", { args: [1, 2], extra: 1 })).status).toBe(400);
    const queue = await post(api, "/tasks.add", { args: [1, 2], options: { queue: "admin" } });
    expect(queue.status).toBe(400);
    expect((await queue.json()).error).toContain("option queue not allowed");
    const later = await post(api, "/tasks.add", { args: [1, 2], options: { countdown: 60 } });
    expect(later.status).toBe(202);
  });

  it("a body over maxBodyBytes → 413", async () => {
    const { app, add } = setup();
    const api = celeriac(app, { expose: [add], maxBodyBytes: 64 });
    const res = await post(api, "/tasks.add", { args: [1, 2], kwargs: { pad: "x".repeat(200) } });
    expect(res.status).toBe(413);
  });

  it("a failed task reads back as {state: FAILURE, error: {type, message}}", async () => {
    const { app, boom } = setup();
    const api = celeriac(app, { expose: [boom] });
    const { id } = await (await post(api, "/tasks.boom", { args: ["bad input"] })).json();
    await app.worker().drain();
    expect(await (await api.request(`/${id}`)).json()).toEqual({ id, state: "FAILURE", error: { type: "RangeError", message: "bad input" } });
  });

  it("bearer(token) guards enqueue and results: 401 without or with a wrong token", async () => {
    const { app, add } = setup();
    const api = celeriac(app, { expose: [add], auth: bearer("s3cret") });
    const missing = await post(api, "/tasks.add", { args: [1, 1] });
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toBe("Bearer");
    expect((await post(api, "/tasks.add", { args: [1, 1] }, { authorization: "Bearer s3cre" })).status).toBe(401);
    const ok = await post(api, "/tasks.add", { args: [1, 1] }, { authorization: "Bearer s3cret" });
    expect(ok.status).toBe(202);
    const { id } = await ok.json();
    expect((await api.request(`/${id}`)).status).toBe(401);
    expect((await api.request(`/${id}`, { headers: { authorization: "bearer s3cret" } })).status).toBe(200);
    expect((await api.request("/_health")).status).toBe(200);
    expect(() => bearer("")).toThrow(ConfigError);
  });

  it("timingSafeEqual compares whole strings", async () => {
    expect(await timingSafeEqual("abc", "abc")).toBe(true);
    expect(await timingSafeEqual("abc", "abd")).toBe(false);
    expect(await timingSafeEqual("abc", "abcd")).toBe(false);
    expect(await timingSafeEqual("", "")).toBe(true);
  });

  it("GET /_health answers", async () => {
    const { app } = setup();
    expect(await (await celeriac(app, { expose: [] }).request("/_health")).json()).toEqual({ ok: true, app: "hono" });
  });

  it("POST /_push runs a verified envelope through worker.fetch; a forged one gets 401", async () => {
    const { app } = setup();
    const verify = async (req: Request) => {
      if (req.headers.get("x-signature") !== "good") throw new SignatureError("bad signature");
      return await req.text();
    };
    const api = celeriac(app, { expose: [], push: { verify } });
    const msg = app.buildMessage("tasks.add", [20, 22]);
    const forged = await post(api, "/_push", encodeMessage(msg), { "x-signature": "evil" });
    expect(forged.status).toBe(401);
    const res = await post(api, "/_push", encodeMessage(msg), { "x-signature": "good" });
    expect(await res.json()).toEqual({ taskId: msg.headers.id, state: "SUCCESS" });
    expect(await app.AsyncResult(msg.headers.id).get()).toBe(42);
  });

  it("push and tick are off unless configured, and refuse to open without verification", async () => {
    const { app } = setup();
    const api = celeriac(app, { expose: [] });
    expect((await post(api, "/_push", "{}")).status).toBe(404);
    expect((await post(api, "/_tick")).status).toBe(404);
    expect(() => celeriac(app, { expose: [], push: {} })).toThrow(ConfigError);
    expect(() => celeriac(app, { expose: [], tick: true })).toThrow(ConfigError);
  });

  it("POST /_tick runs beat once per slot, behind auth", async () => {
    const { app } = setup();
    app.conf.beatSchedule = { sum: { task: "tasks.add", schedule: every("1h"), args: [1, 1] } };
    const api = celeriac(app, { expose: [], auth: bearer("t"), tick: true });
    expect((await post(api, "/_tick")).status).toBe(401);
    const first = await (await post(api, "/_tick", undefined, { authorization: "Bearer t" })).json();
    expect(first.sent).toHaveLength(1);
    const second = await (await post(api, "/_tick", undefined, { authorization: "Bearer t" })).json();
    expect(second.sent).toHaveLength(0);
    expect(await app.worker().drain()).toMatchObject({ processed: 1, succeeded: 1 });
  });

  it("tick: { verify } refuses what verify rejects", async () => {
    const { app } = setup();
    const api = celeriac(app, { expose: [], tick: { verify: async () => { throw new SignatureError("no"); } } });
    expect((await post(api, "/_tick")).status).toBe(401);
  });
});
