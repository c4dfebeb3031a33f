import { describe, expect, it } from "vitest";
import { memoryBackend, memoryBroker } from "../../adapters/memory/mod.ts";
import { Celeriac, every, type ClaimOptions } from "../../mod.ts";
import { manualClock } from "../support/clock.ts";

// One clock: every instant the core reads comes from `app.clock.now()`.
describe("app.clock", () => {
  const start = Date.UTC(2031, 0, 1, 12, 0, 0);
  const make = () => {
    const clock = manualClock(start);
    const broker = memoryBroker({ now: clock.now });
    const claims: ClaimOptions[] = [];
    const claim = broker.claim.bind(broker);
    broker.claim = (q, o) => (claims.push(o), claim(q, o));
    const app = new Celeriac("clock", { broker, backend: memoryBackend(), clock });
    return { clock, app, claims };
  };

  it("defaults to Date.now", () => {
    const app = new Celeriac("wall");
    const before = Date.now();
    expect(app.clock.now()).toBeGreaterThanOrEqual(before);
  });

  it("ETA, expires and date_done are read from it; the worker runs a countdown only once it is due", async () => {
    const { clock, app, claims } = make();
    const t = app.task("t.later", () => "done");
    const r = await t.applyAsync([], { countdown: 30, expires: 120 });
    const msg = app.buildMessage("t.later", [], { countdown: 30, expires: 120 });
    expect(msg.headers.eta).toBe("2031-01-01T12:00:30.000000+00:00");
    expect(msg.headers.expires).toBe("2031-01-01T12:02:00.000000+00:00");
    expect((await app.worker().drain()).processed).toBe(0);
    expect(claims.at(-1)!.now).toBe(start);
    clock.advance(30_000);
    expect((await app.worker().drain()).succeeded).toBe(1);
    expect(claims.at(-1)!.now).toBe(start + 30_000);
    expect((await r.meta())!.date_done).toBe("2031-01-01T12:00:30.000000");
  });

  it("expiry is judged at the clock's now", async () => {
    const { clock, app } = make();
    const t = app.task("t.exp", () => 1);
    const r = await t.applyAsync([], { expires: 10 });
    clock.advance(11_000);
    expect((await app.worker().drain()).revoked).toBe(1);
    expect(await r.state).toBe("REVOKED");
  });

  it("a retry countdown counts from it", async () => {
    const { clock, app } = make();
    let runs = 0;
    const t = app.task("t.retry", { bind: true }, (self) => (++runs < 2 ? self.retry({ countdown: 60 }) : "ok"));
    const r = await t.delay();
    await app.worker().drain();
    clock.advance(59_999);
    await app.worker().drain();
    expect(runs).toBe(1);
    clock.advance(1);
    await app.worker().drain();
    expect(await r.get({ timeout: 1000 })).toBe("ok");
  });

  it("rate limits space tasks by it", async () => {
    const { clock, app } = make();
    const t = app.task("t.rl", { rateLimit: "1/m" }, () => 1);
    await t.delay();
    await t.delay();
    expect((await app.worker().drain()).succeeded).toBe(1);
    clock.advance(60_000);
    expect((await app.worker().drain()).succeeded).toBe(1);
  });

  it("beat.tick() without an instant ticks at the clock's now", async () => {
    const { app } = make();
    app.conf.beatSchedule = { e: { task: "t.beat", schedule: every("1m") } };
    const report = await app.beat.tick();
    expect(report.now.getTime()).toBe(start);
    expect(report.sent.map((s) => s.slot.getTime())).toEqual([start]);
  });
});
