import * as z from "zod";
import { describe, expect, it, vi } from "vitest";
import { memoryBackend, memoryBroker } from "../../adapters/memory/mod.ts";
import { AdapterError, Celeriac, ValidationError, type PullBroker } from "../../mod.ts";
import { crontab } from "../../src/beat/crontab.ts";
import type { BeatSchedule } from "../../src/beat/entries.ts";
import { every } from "../../src/beat/schedule.ts";

function appWith(beatSchedule: BeatSchedule, conf: Record<string, unknown> = {}): Celeriac {
  return new Celeriac("beat-unit", { broker: memoryBroker(), backend: memoryBackend(), conf: { beatSchedule, ...conf } });
}

async function sentBetween(app: Celeriac, from: string, to: string, stepMs: number): Promise<string[]> {
  const out: string[] = [];
  for (let t = Date.parse(from); t < Date.parse(to); t += stepMs) {
    for (const s of (await app.beat.tick(t)).sent) out.push(s.slot.toISOString());
  }
  return out;
}

describe("beat.tick", () => {
  it("fires a 02:30 job once per day across DST changes, ticked every minute", async () => {
    const ny = appWith({ n: { task: "t", schedule: crontab({ minute: 30, hour: 2 }) } }, { timezone: "America/New_York" });
    expect(await sentBetween(ny, "2026-03-07T05:00:00Z", "2026-03-10T05:00:00Z", 60_000))
      .toEqual(["2026-03-07T07:30:00.000Z", "2026-03-08T07:00:00.000Z", "2026-03-09T06:30:00.000Z"]);
    expect(await sentBetween(ny, "2026-10-31T04:00:00Z", "2026-11-03T05:00:00Z", 60_000))
      .toEqual(["2026-10-31T06:30:00.000Z", "2026-11-01T07:30:00.000Z", "2026-11-02T07:30:00.000Z"]);
    const berlin = appWith({ b: { task: "t", schedule: crontab("30 2 * * *", { timezone: "Europe/Berlin" }) } });
    expect(await sentBetween(berlin, "2026-03-28T22:00:00Z", "2026-03-31T22:00:00Z", 60_000))
      .toEqual(["2026-03-29T01:00:00.000Z", "2026-03-30T00:30:00.000Z", "2026-03-31T00:30:00.000Z"]);
  });

  it("claims each slot with a TTL covering the window in which ticks can see it", async () => {
    const app = appWith({
      fast: { task: "t", schedule: every("30s") },
      nightly: { task: "t", schedule: crontab({ minute: 0, hour: 0 }) },
      forever: { task: "t", schedule: every("1d"), startingDeadline: Infinity },
    });
    const spy = vi.spyOn(app.backend, "setIfAbsent");
    await app.beat.tick(Date.parse("2026-05-01T00:00:10Z"));
    const ttls = Object.fromEntries(spy.mock.calls.map(([key, , ttl]) => [key, ttl]));
    expect(ttls).toEqual({
      "celeriac-beat:fast:1777593600000": 30_000 + 60_000,
      "celeriac-beat:nightly:1777593600000": 3_600_000 * 2,
      "celeriac-beat:forever:1777593600000": 86_400_000 + 3_600_000,
    });
  });

  it("publishes all winners in one round trip and skips known slots without a claim", async () => {
    const app = appWith({ a: { task: "t", schedule: every("1m") }, b: { task: "t", schedule: every("1m") } });
    const publish = vi.spyOn(app.broker, "publish");
    const claim = vi.spyOn(app.backend, "setIfAbsent");
    await app.beat.tick(Date.parse("2026-05-01T12:00:01Z"));
    expect(publish).toHaveBeenCalledTimes(1);
    expect(publish.mock.calls[0]![0]).toHaveLength(2);
    const again = await app.beat.tick(Date.parse("2026-05-01T12:00:30Z"));
    expect(claim).toHaveBeenCalledTimes(2);
    expect(again.skipped.map((s) => s.reason)).toEqual(["claimed", "claimed"]);
  });

  it("sends the other entries when one claim fails, then rejects; a retry sends the rest", async () => {
    const app = appWith({ a: { task: "t", schedule: every("1m") }, b: { task: "t", schedule: every("1m") } });
    const real = app.backend.setIfAbsent.bind(app.backend);
    const spy = vi.spyOn(app.backend, "setIfAbsent").mockImplementation((key, value, ttl) =>
      key.startsWith("celeriac-beat:b:") ? Promise.reject(new Error("connection reset")) : real(key, value, ttl));
    await expect(app.beat.tick(Date.parse("2026-05-01T12:00:01Z"))).rejects.toThrow(AdapterError);
    expect(await (app.broker as PullBroker).size("celery")).toBe(1);
    spy.mockRestore();
    const retry = await app.beat.tick(Date.parse("2026-05-01T12:00:02Z"));
    expect(retry.sent.map((s) => s.entry)).toEqual(["b"]);
  });

  it("does not burn a slot when its message cannot be built", async () => {
    const app = appWith({ a: { task: "tasks.n", schedule: every("1m"), args: ["x"] } });
    app.task("tasks.n", { args: z.tuple([z.number()]) }, (n: number) => n);
    await expect(app.beat.tick(Date.parse("2026-05-01T12:00:01Z"))).rejects.toThrow(ValidationError);
    (app.conf.beatSchedule as BeatSchedule).a!.args = [1];
    expect((await app.beat.tick(Date.parse("2026-05-01T12:00:02Z"))).sent).toHaveLength(1);
  });
});

describe("beat.start", () => {
  it("ticks at slot boundaries until aborted", async () => {
    const app = appWith({ s: { task: "t", schedule: every("1s") } });
    const ac = new AbortController();
    const slots: number[] = [];
    const done = app.beat.start({
      signal: ac.signal,
      onTick: (r) => {
        for (const s of r.sent) slots.push(s.slot.getTime());
        if (slots.length >= 2) ac.abort();
      },
    });
    await done;
    expect(slots[1]! - slots[0]!).toBe(1000);
  });

  it("survives failing ticks and reports them", async () => {
    const app = appWith({ bad: { task: "t", schedule: "* * * * *" as never } });
    const ac = new AbortController();
    const errors: unknown[] = [];
    await app.beat.start({ signal: ac.signal, intervalMs: 5, onError: (e) => { errors.push(e); if (errors.length === 3) ac.abort(); } });
    expect(errors).toHaveLength(3);
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    const ac2 = new AbortController();
    const loop = app.beat.start({ signal: ac2.signal, intervalMs: 5 });
    await vi.waitFor(() => expect(log).toHaveBeenCalled());
    ac2.abort();
    await loop;
    log.mockRestore();
  });

  it("rejects a bad interval", async () => {
    await expect(appWith({}).beat.start({ intervalMs: 0 })).rejects.toThrow(/intervalMs/);
  });
});
