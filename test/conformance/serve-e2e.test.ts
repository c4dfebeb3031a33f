// One end-to-end scenario in the runtime vitest runs on (Node, Deno or Bun; workerd has its own
// in test/runtime/workerd-queues.test.ts): enqueue over HTTP through the Hono routes → the
// worker loop of `serve()` runs it → the result over HTTP, on real Redis through the local
// Upstash endpoint. Beat runs in the same process.
import { Hono } from "hono";
import { afterAll, beforeAll, expect, it } from "vitest";
import { bearer, celeriac } from "../../adapters/hono/mod.ts";
import { upstashRedis } from "../../adapters/upstash-redis/mod.ts";
import { Celeriac, every } from "../../mod.ts";
import { beatTaskId } from "../../src/beat/slot-id.ts";
import { serve as serveBun } from "../../workers/bun/mod.ts";
import { serve as serveDeno } from "../../workers/deno/mod.ts";
import { serve as serveNode } from "../../workers/node/serve.ts";
import type { Served } from "../../workers/background.ts";
import { startUpstash, type UpstashEnv } from "../support/upstash.ts";

const runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";
const serve = { deno: serveDeno, bun: serveBun, node: serveNode }[runtime];
const auth = { authorization: "Bearer e2e" };

let env: UpstashEnv | undefined;
let served: Served | undefined;

beforeAll(async () => {
  env = await startUpstash(`serve-${runtime}`);
  const app = new Celeriac("e2e", upstashRedis({ redis: env.client(), prefix: env.prefix(runtime) }));
  const add = app.task("tasks.add", (a: number, b: number) => a + b);
  app.task("tasks.hourly", () => `hourly on ${runtime}`);
  app.conf.beatSchedule = { hourly: { task: "tasks.hourly", schedule: every("1h") } };
  const api = new Hono().route("/tasks", celeriac(app, { expose: [add], auth: bearer("e2e") }));
  served = await serve(app, { hono: api, port: 0, hostname: "127.0.0.1", run: { pollIntervalMs: 50 } });
});

afterAll(async () => {
  await served?.stop();
  await env?.close();
});

async function settled(id: string): Promise<any> {
  const end = Date.now() + 30_000;
  for (;;) {
    const body = await (await fetch(`${served!.url}/tasks/${id}`, { headers: auth })).json();
    if (body.state === "SUCCESS" || body.state === "FAILURE") return body;
    if (Date.now() > end) throw new Error(`task ${id} still ${body.state}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

it(`${runtime}: POST /tasks/:name → worker loop → GET /tasks/:id (Upstash endpoint, real Redis)`, async () => {
  const res = await fetch(`${served!.url}/tasks/tasks.add`, { method: "POST", headers: auth, body: JSON.stringify({ args: [20, 22] }) });
  expect(res.status).toBe(202);
  const { id } = await res.json();
  expect(await settled(id)).toEqual({ id, state: "SUCCESS", result: 42 });
});

it(`${runtime}: beat in the same process sends the hourly entry once; the loop runs it`, async () => {
  const id = await beatTaskId("hourly", Math.floor(Date.now() / 3_600_000) * 3_600_000);
  expect(await settled(id)).toEqual({ id, state: "SUCCESS", result: `hourly on ${runtime}` });
});
