import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdapterError, buildMessage, encodeMessage, RETRY, SUCCESS } from "../../mod.ts";
import type { ResultBackend } from "../../src/ports.ts";
import { bodyHash, ManualClock, signJwt } from "../../workers/qstash-dev/mod.ts";
import { startPush, type PushEnv } from "../conformance/push-harness.ts";

// Bad paths of the push endpoint over the real stack (local QStash, HTTP, worker.fetch, Redis).
let env: PushEnv;
beforeAll(async () => {
  env = await startPush("qstash-push");
});
afterAll(async () => {
  await env?.close();
});

const T = { timeout: 15_000 };
const enc = new TextEncoder();

function counted() {
  const app = env.app();
  const runs: string[] = [];
  app.task("tasks.add", { bind: true }, (self, a: number, b: number) => (runs.push(self.request.id), a + b));
  return { app, runs, url: env.urlOf(app) };
}

async function signed(url: string, body: string, o: { key?: string; sub?: string; iatShift?: number } = {}): Promise<Response> {
  const key = o.key ?? env.qstash.credentials.currentSigningKey;
  const iat = Math.floor(Date.now() / 1000) + (o.iatShift ?? 0);
  const signature = await signJwt(key, { sub: o.sub ?? url, body: await bodyHash(enc.encode(body)), iat });
  return fetch(url, { method: "POST", body, headers: { "upstash-signature": signature, "content-type": "application/json" } });
}

describe("push endpoint: signatures", () => {
  it("forged, tampered, wrong-key, expired, not-yet-valid and wrong-URL requests get 401 and run nothing", async () => {
    const { app, runs, url } = counted();
    const envelope = (n: number) => encodeMessage(buildMessage({ task: "tasks.add", args: [n, n], queue: "celery" }));
    const cases: [string, () => Promise<Response>][] = [
      ["no signature", () => fetch(url, { method: "POST", body: envelope(1) })],
      ["garbage signature", () => fetch(url, { method: "POST", body: envelope(2), headers: { "upstash-signature": "a.b.c" } })],
      ["tampered body", async () => {
        const sig = await signJwt(env.qstash.credentials.currentSigningKey, { sub: url, body: await bodyHash(enc.encode(envelope(3))), iat: Math.floor(Date.now() / 1000) });
        return fetch(url, { method: "POST", body: envelope(4), headers: { "upstash-signature": sig } });
      }],
      ["wrong key", () => signed(url, envelope(5), { key: "sig_not_ours_at_all" })],
      ["expired", () => signed(url, envelope(6), { iatShift: -600 })],
      ["not yet valid", () => signed(url, envelope(7), { iatShift: 600 })],
      ["wrong URL", () => signed(url, envelope(8), { sub: "https://evil.example/push" })],
    ];
    for (const [what, send] of cases) {
      const res = await send();
      expect(res.status, what).toBe(401);
      expect((await res.json()).error, what).toMatch(/signature|Upstash-Signature/i);
    }
    expect(runs).toEqual([]);
    expect(await app.backend.mget(["x"])).toEqual([null]);
  });

  it("the next signing key is accepted (key rotation); a replayed signed request does not run again", async () => {
    const { runs, url, app } = counted();
    const msg = buildMessage({ task: "tasks.add", args: [2, 2], queue: "celery" });
    const body = encodeMessage(msg);
    const first = await signed(url, body, { key: env.qstash.credentials.nextSigningKey });
    expect(await first.json()).toEqual({ taskId: msg.headers.id, state: SUCCESS });
    const replay = await signed(url, body);
    expect(replay.status).toBe(200);
    expect(await replay.json()).toEqual({ taskId: msg.headers.id, state: SUCCESS });
    expect(runs).toEqual([msg.headers.id]);
    expect(await app.AsyncResult(msg.headers.id).get(T)).toBe(4);
  });
});

describe("push endpoint: delivery outcomes through QStash", () => {
  it("a malformed message is answered 489 and QStash's DLQ keeps it (no retries)", async () => {
    const { app, url } = counted();
    const res = await signed(url, '{"not":"celery"}');
    expect(res.status).toBe(489);
    expect(res.headers.get("upstash-nonretryable-error")).toBe("true");
    const before = env.qstash.stats.attempts;
    await (app.broker as { publish: (m: unknown[]) => Promise<void> }).publish([{ id: "bad-1", queue: "celery", priority: 0, payload: "{nope" }]);
    await env.settled();
    expect(env.qstash.stats.attempts - before).toBe(1);
    const dead = [...env.qstash.engine.dlq.values()].find((d) => d.message.url === url)!;
    expect(dead.responseStatus).toBe(489);
    expect(JSON.parse(dead.responseBody).error).toMatch(/not valid JSON/);
    expect(new TextDecoder().decode(dead.message.body)).toBe("{nope");
  });

  it("backend down → 503, QStash redelivers → exactly one SUCCESS", async () => {
    let down = 2;
    const flaky = (b: ResultBackend): ResultBackend => new Proxy(b, {
      get(target, prop, recv) {
        const v = Reflect.get(target, prop, recv);
        if (prop !== "get" || typeof v !== "function") return typeof v === "function" ? v.bind(target) : v;
        return (...a: unknown[]) => down-- > 0 ? Promise.reject(new AdapterError("upstash-redis", "backend unreachable")) : v.apply(target, a);
      },
    });
    const app = env.app({ backend: flaky });
    let runs = 0;
    const t = app.task("tasks.once", () => ++runs);
    const before = env.qstash.stats;
    const r = await t.delay();
    await env.settled(); // the worker's first two reads fail; r.get below reads after the outage
    expect(down).toBeLessThanOrEqual(0);
    expect(await r.get(T)).toBe(1);
    const after = env.qstash.stats;
    expect(after.attempts - before.attempts).toBe(3);
    expect(after.retries - before.retries).toBe(2);
    expect(runs).toBe(1);
  });


  it("an ETA past the QStash delay cap arrives early and is re-delayed for the rest, then runs once", async () => {
    const app = env.app({ broker: { maxDelaySeconds: 1 } });
    const runs: number[] = [];
    const t = app.task("tasks.far", () => runs.push(Date.now()));
    const eta = Date.now() + 2500;
    const before = env.qstash.stats.published;
    const r = await t.applyAsync([], { eta: new Date(eta) });
    await r.get(T);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toBeGreaterThanOrEqual(eta);
    expect(env.qstash.stats.published - before).toBe(2);
  });
});

// Delays on one manual clock (QStash's and the apps'), an hour ahead of the wall clock: a held
// message is delivered only when the test advances it, so nothing depends on the machine's speed.
// `Upstash-Not-Before` is whole seconds (rounded up): "due" is checked one second past the time.
describe("push endpoint: delays", () => {
  const clock = new ManualClock(Date.now() + 3_600_000);
  let timed: PushEnv;
  beforeAll(async () => {
    timed = await startPush("qstash-push-delays", { clock });
  });
  afterAll(async () => {
    await timed?.close();
  });

  /** Once no delivery is in flight or running, the ids QStash still holds. */
  async function held(): Promise<number> {
    await timed.settledNow();
    return timed.qstash.engine.messages.size;
  }

  it("Celery retry with exponential backoff: QStash holds each retry until its countdown passed", async () => {
    const app = timed.app();
    const seen: number[] = [];
    const t = app.task("tasks.backoff", { bind: true, maxRetries: 3 }, (self) => {
      seen.push(self.request.retries);
      if (self.request.retries < 2) self.retry({ countdown: 2 ** self.request.retries });
      return "done";
    });
    const r = await t.delay();
    expect([await held(), seen]).toEqual([1, [0]]); // retry 1 (countdown 1 s) waits
    expect(await r.state).toBe(RETRY);
    clock.advance(2000);
    expect([await held(), seen]).toEqual([1, [0, 1]]); // retry 2 (countdown 2 s) waits
    clock.advance(1000);
    expect([await held(), seen]).toEqual([1, [0, 1]]); // still: 1 s of its 2 s
    clock.advance(2000);
    expect([await held(), seen]).toEqual([0, [0, 1, 2]]);
    expect(await r.get(T)).toBe("done");
  });
});
