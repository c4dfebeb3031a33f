// Celery's events, worker state, presence and pidbox on the in-process memory adapter.
import { describe, expect, it } from "vitest";
import { broadcastControl, Celeriac, decodeEvents, type CeleryEvent, monitoring } from "../../mod.ts";
import { memoryBackend, memoryBroker, memoryEvents } from "../../adapters/memory/mod.ts";
import { manualClock } from "../support/clock.ts";
import { WorkerState } from "../../src/worker/state.ts";

function setup() {
  const clock = manualClock();
  const events = memoryEvents();
  const broker = memoryBroker({ now: clock.now, events });
  const backend = memoryBackend({ now: clock.now });
  const app = new Celeriac("mon", { broker, backend, clock });
  const add = app.task("mon.add", (a: number, b: number) => a + b);
  const boom = app.task("mon.boom", () => {
    throw new RangeError("boom");
  });
  const received = (): CeleryEvent[] => events.published.flatMap((m) => decodeEvents(m.payload));
  return { clock, broker, backend, app, add, boom, events, received };
}

describe("events on the broker", () => {
  it("a drain publishes its task events as one task.multi per flush, plus one heartbeat", async () => {
    const { app, add, boom, events, received } = setup();
    await add.delay(1, 2);
    await boom.delay();
    await app.worker({ events: true, monitoring, hostname: "w1@test", concurrency: 1, prefetch: 10 }).drain();
    expect(events.published.map((m) => m.routingKey).sort()).toEqual(["task.multi", "worker.heartbeat"]);
    const types = received().map((e) => e.type);
    expect(types.filter((t) => t.startsWith("task-"))).toEqual([
      "task-received", "task-started", "task-succeeded", "task-received", "task-started", "task-failed",
    ]);
    const [recv] = received().filter((e) => e.type === "task-received");
    expect(recv).toMatchObject({ hostname: "w1@test", name: "mon.add", args: "(1, 2)", kwargs: "{}", retries: 0 });
    expect(received().find((e) => e.type === "task-succeeded")).toMatchObject({ result: "3" });
    expect(received().find((e) => e.type === "task-failed")).toMatchObject({ exception: "RangeError('boom')" });
    const env = JSON.parse(events.published[0].payload);
    expect(env).toMatchObject({ "content-type": "application/json", headers: { hostname: "w1@test" }, properties: { body_encoding: "base64", delivery_info: { exchange: "celeryev" } } });
    const hb = received().find((e) => e.type === "worker-heartbeat")!;
    expect(hb).toMatchObject({ hostname: "w1@test", sw_ident: "celeriac", freq: 60, active: 0 });
    const clocks = received().map((e) => e.clock as number);
    expect(new Set(clocks).size).toBe(clocks.length);
  });

  it("without events: nothing is published; presence only when asked", async () => {
    const { app, add, backend, events } = setup();
    await add.delay(1, 1);
    await app.worker().drain();
    expect(events.published).toEqual([]);
    expect(await backend.workers()).toEqual([]);
    await add.delay(1, 1);
    await app.worker({ presence: true, monitoring, hostname: "p@test" }).drain();
    expect(events.published).toEqual([]);
    expect(await backend.workers()).toMatchObject([{ hostname: "p@test", mode: "request", processed: 1 }]);
  });

  it("worker state counts processed tasks per name (stats.total)", async () => {
    const { app, add, boom } = setup();
    for (let i = 0; i < 3; i++) await add.delay(i, i);
    await boom.delay();
    const w = app.worker({ presence: true, monitoring });
    await w.drain();
    expect(w.monitor!.state.processed).toBe(4);
    expect(w.monitor!.state.total).toEqual({ "mon.add": 3, "mon.boom": 1 });
    expect(w.monitor!.state.active.size).toBe(0);
  });

  it("a received task with a future ETA is listed as scheduled until it is due", () => {
    // Brokers with a delayed set hand such messages out only when due; `eta: "queue"` ones early.
    const { clock } = setup();
    const state = new WorkerState("s@test", clock);
    const eta = new Date(clock.now() + 60_000).toISOString();
    state.record({ type: "task-received", uuid: "t1", name: "mon.add", hostname: "s@test", timestamp: clock.now() / 1000, eta });
    expect(state.pendingScheduled()).toMatchObject([{ eta, request: { id: "t1", name: "mon.add" } }]);
    expect(state.reserved.size).toBe(0);
    clock.advance(61_000);
    expect(state.pendingScheduled()).toEqual([]);
  });
});

describe("pidbox on a running worker", () => {
  it("answers ping, active (while a task runs), stats, registered, and revoke stops a queued task", async () => {
    const { app, broker, events, received } = setup();
    let release!: () => void;
    const started = new Promise<void>((r) => app.task("mon.hold", () => (r(), new Promise<void>((done) => (release = done)))));
    const stop = new AbortController();
    const w = app.worker({ events: true, monitoring, hostname: "loop@test", concurrency: 2 });
    const running = w.run({ signal: stop.signal, pollIntervalMs: 5 });
    await app.sendTask("mon.hold", []);
    await started;
    expect(await broadcastControl(broker, "ping", { timeoutMs: 20 })).toEqual({ "loop@test": { ok: "pong" } });
    const active = await broadcastControl(broker, "active", { timeoutMs: 20 });
    expect(active["loop@test"]).toMatchObject([{ name: "mon.hold", hostname: "loop@test", acknowledged: true }]);
    const stats = (await broadcastControl(broker, "stats", { timeoutMs: 20 }))["loop@test"] as Record<string, unknown>;
    expect(stats).toMatchObject({ broker: { transport: "memory" }, total: {}, prefetch_count: 10 });
    expect((await broadcastControl(broker, "registered", { timeoutMs: 20 }))["loop@test"]).toContain("mon.hold");
    expect(await broadcastControl(broker, "ping", { timeoutMs: 20, destination: ["other@x"] })).toEqual({});
    const id = crypto.randomUUID();
    expect((await broadcastControl(broker, "revoke", { timeoutMs: 20, arguments: { task_id: id } }))["loop@test"]).toEqual({ ok: `tasks ${id} flagged as revoked` });
    expect((await broadcastControl(broker, "revoked", { timeoutMs: 20 }))["loop@test"]).toEqual([id]);
    const r = await app.sendTask("mon.add", [1, 1], { taskId: id });
    release();
    const done = new Promise<void>((resolve) => {
      const seen = (): void => void (received().some((e) => e.type === "task-revoked" && e.uuid === id) && resolve());
      events.subscribeEvents(seen);
      seen();
    });
    await done;
    expect((await r.meta())?.status).toBe("REVOKED");
    expect(await broadcastControl(broker, "nope", { timeoutMs: 20 })).toEqual({ "loop@test": { error: "No such control command: nope" } });
    await broadcastControl(broker, "shutdown", { timeoutMs: 20 });
    await running;
    const types = received().map((e) => e.type);
    expect(types[0]).toBe("worker-online");
    expect(types.at(-1)).toBe("worker-offline");
    expect(stop.signal.aborted).toBe(false);
  });
});

describe("failure paths", () => {
  it("events or presence without the monitoring code is a ConfigError naming the import", () => {
    const { app } = setup();
    expect(() => app.worker({ events: true })).toThrow(/import \{ monitoring \} from "celeriac"/);
    expect(() => app.worker({ presence: true })).toThrow(/ConfigError|monitoring/);
  });

  it("a failing event publish is reported and does not fail the batch", async () => {
    const { app, add, events, backend } = setup();
    events.publishEvents = () => Promise.reject(new Error("pubsub down"));
    const errors: unknown[] = [];
    await add.delay(1, 2);
    const report = await app.worker({ events: true, monitoring, hostname: "f@test", onError: (e) => errors.push(e) }).drain();
    expect(report).toMatchObject({ processed: 1, succeeded: 1 });
    expect(String(errors[0])).toContain("pubsub down");
    expect(await backend.workers()).toMatchObject([{ hostname: "f@test" }]);
  });

  it("run() keeps working when the pidbox cannot subscribe; garbage and expired broadcasts get no reply", async () => {
    const { app, add, broker, events } = setup();
    const errors: unknown[] = [];
    const subscribe = events.subscribeControl.bind(events);
    events.subscribeControl = () => Promise.reject(new Error("no subscribe"));
    const stop = new AbortController();
    let ran = 0;
    app.task("mon.count", () => void ran++);
    const w = app.worker({ events: true, monitoring, hostname: "g@test", onError: (e) => errors.push(e) });
    const running = w.run({ signal: stop.signal, pollIntervalMs: 5 });
    const r = await app.sendTask("mon.count", []);
    await r.get({ timeout: 5000 });
    expect(ran).toBe(1);
    expect(String(errors[0])).toContain("no subscribe");
    stop.abort();
    await running;
    // A second worker that listens: malformed and expired envelopes are ignored.
    events.subscribeControl = subscribe;
    const stop2 = new AbortController();
    const w2 = app.worker({ events: true, monitoring, hostname: "h@test" });
    const running2 = w2.run({ signal: stop2.signal, pollIntervalMs: 5 });
    await add.delay(1, 1).then((x) => x.get({ timeout: 5000 }));
    const sent: string[] = [];
    const reply = events.reply.bind(events);
    events.reply = (_e, _k, p) => (sent.push(p), Promise.resolve());
    expect(await broadcastControl(broker, "ping", { timeoutMs: 20, now: Date.now() - 60_000 })).toEqual({});
    await Promise.all(["not json", "{}", JSON.stringify({ body: "%%%", properties: { body_encoding: "base64" } })].map((g) => events.broadcast(g, "x", 10)));
    expect(sent).toEqual([]);
    events.reply = reply;
    expect(await broadcastControl(broker, "ping", { timeoutMs: 20 })).toEqual({ "h@test": { ok: "pong" } });
    stop2.abort();
    await running2;
  });
});
