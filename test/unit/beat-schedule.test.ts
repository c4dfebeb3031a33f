import { describe, expect, it } from "vitest";
import { crontab, type Crontab } from "../../src/beat/crontab.ts";
import { every, parseDuration } from "../../src/beat/schedule.ts";
import { beatKey, beatTaskId, uuid5 } from "../../src/beat/slot-id.ts";
import { ConfigError } from "../../src/errors.ts";

const ms = (iso: string): number => Date.parse(iso);
const iso = (t: number | null | undefined): string | null => (t == null ? null : new Date(t).toISOString());

/** The next `n` fire times strictly after `from`, walking the schedule's slots. */
function runs(c: Crontab, from: string, n: number, tz = "UTC"): string[] {
  const out: string[] = [];
  let t = ms(from);
  while (out.length < n) {
    const next = c.slotAt(t, tz)?.next ?? c.slotAt(t + 366 * 86_400_000, tz)!.at;
    out.push(iso(next)!);
    t = next;
  }
  return out;
}

describe("every()", () => {
  it("parses ms and duration strings", () => {
    expect(every(1500).intervalMs).toBe(1500);
    expect(every("30s").intervalMs).toBe(30_000);
    expect(every("5m").intervalMs).toBe(300_000);
    expect(every("1h").intervalMs).toBe(3_600_000);
    expect(every("1d").intervalMs).toBe(86_400_000);
    expect(every("1h30m").intervalMs).toBe(5_400_000);
    expect(every("1.5s").intervalMs).toBe(1500);
    expect(parseDuration("250ms")).toBe(250);
  });

  it("rejects bad intervals with ConfigError", () => {
    for (const bad of ["", "5x", "s", "1 h", "-1s", 0, -5, 999, "500ms", NaN, Infinity, 1500.5] as const) {
      expect(() => every(bad as number | string), String(bad)).toThrow(ConfigError);
    }
  });

  it("anchors slots to the epoch, boundary included", () => {
    const e = every("30s");
    expect(e.slotAt(ms("2026-05-01T12:00:29.999Z"))).toEqual({ at: ms("2026-05-01T12:00:00Z"), next: ms("2026-05-01T12:00:30Z") });
    expect(e.slotAt(ms("2026-05-01T12:00:30.000Z")).at).toBe(ms("2026-05-01T12:00:30Z"));
    expect(every("1d").slotAt(ms("2026-05-01T23:59:59Z")).at).toBe(ms("2026-05-01T00:00:00Z"));
  });
});

describe("crontab()", () => {
  it("builds the 5-field expression from Celery-style fields", () => {
    expect(crontab().expression).toBe("* * * * *");
    expect(crontab({ minute: 0, hour: 0 }).expression).toBe("0 0 * * *");
    expect(crontab({ minute: "*/15", hour: [8, "12-14"], dayOfWeek: "mon-fri", dayOfMonth: "1,15", monthOfYear: "jan" }).expression)
      .toBe("*/15 8,12-14 1,15 jan mon-fri");
    expect(crontab("  0   12 *  * * ").expression).toBe("0 12 * * *");
    expect(crontab("0 9 * * monday-friday").expression).toBe("0 9 * * mon-fri");
  });

  it("reads steps, ranges with steps and lists", () => {
    expect(runs(crontab({ minute: "*/15" }), "2026-05-01T10:50:00Z", 3)).toEqual(["2026-05-01T11:00:00.000Z", "2026-05-01T11:15:00.000Z", "2026-05-01T11:30:00.000Z"]);
    expect(runs(crontab({ minute: "0-30/10", hour: 3 }), "2026-05-01T00:00:00Z", 5)).toEqual([
      "2026-05-01T03:00:00.000Z", "2026-05-01T03:10:00.000Z", "2026-05-01T03:20:00.000Z", "2026-05-01T03:30:00.000Z", "2026-05-02T03:00:00.000Z",
    ]);
    expect(runs(crontab({ minute: 0, hour: [1, 2] }), "2026-05-01T00:00:00Z", 3)).toEqual(["2026-05-01T01:00:00.000Z", "2026-05-01T02:00:00.000Z", "2026-05-02T01:00:00.000Z"]);
  });

  it("numbers weekdays with 0 = Sunday (7 also Sunday) and accepts names", () => {
    // 2026-05-03 is a Sunday.
    expect(runs(crontab({ minute: 0, hour: 0, dayOfWeek: 0 }), "2026-05-01T00:00:00Z", 1)).toEqual(["2026-05-03T00:00:00.000Z"]);
    expect(runs(crontab({ minute: 0, hour: 0, dayOfWeek: 7 }), "2026-05-01T00:00:00Z", 1)).toEqual(["2026-05-03T00:00:00.000Z"]);
    expect(runs(crontab({ minute: 0, hour: 0, dayOfWeek: "sun" }), "2026-05-01T00:00:00Z", 1)).toEqual(["2026-05-03T00:00:00.000Z"]);
    expect(runs(crontab({ minute: 0, hour: 0, dayOfWeek: 1 }), "2026-05-01T00:00:00Z", 1)).toEqual(["2026-05-04T00:00:00.000Z"]);
    expect(runs(crontab("0 9 * * mon-fri"), "2026-05-01T10:00:00Z", 3)).toEqual(["2026-05-04T09:00:00.000Z", "2026-05-05T09:00:00.000Z", "2026-05-06T09:00:00.000Z"]);
    expect(runs(crontab({ minute: 0, hour: 0, dayOfMonth: 1, monthOfYear: "jul,dec" }), "2026-05-01T00:00:00Z", 2)).toEqual(["2026-07-01T00:00:00.000Z", "2026-12-01T00:00:00.000Z"]);
  });

  it("ANDs day of month and day of week, as Celery does", () => {
    // First Monday of the month, not "days 1-7 or any Monday".
    const firstMonday = crontab({ minute: 0, hour: 0, dayOfMonth: "1-7", dayOfWeek: "mon" });
    expect(runs(firstMonday, "2026-01-01T00:00:00Z", 3)).toEqual(["2026-01-05T00:00:00.000Z", "2026-02-02T00:00:00.000Z", "2026-03-02T00:00:00.000Z"]);
    // The 13th when it is a Friday (2026: February, March, November).
    expect(runs(crontab("0 0 13 * fri"), "2026-01-01T00:00:00Z", 3)).toEqual(["2026-02-13T00:00:00.000Z", "2026-03-13T00:00:00.000Z", "2026-11-13T00:00:00.000Z"]);
  });

  it("gives the latest fire time at or before now, boundary included", () => {
    const c = crontab({ minute: 0, hour: 12 });
    expect(c.slotAt(ms("2026-05-01T12:00:00.000Z"), "UTC")).toEqual({ at: ms("2026-05-01T12:00:00Z"), next: ms("2026-05-02T12:00:00Z") });
    expect(iso(c.slotAt(ms("2026-05-01T11:59:59.999Z"), "UTC")!.at)).toBe("2026-04-30T12:00:00.000Z");
  });

  it("reads fields in the schedule's timezone, else the app's", () => {
    const c = crontab({ minute: 0, hour: 9 });
    expect(iso(c.slotAt(ms("2026-07-01T12:00:00Z"), "Europe/Berlin")!.at)).toBe("2026-07-01T07:00:00.000Z");
    expect(iso(c.slotAt(ms("2026-07-01T12:00:00Z"), "UTC")!.at)).toBe("2026-07-01T09:00:00.000Z");
    const ny = crontab({ minute: 0, hour: 9, timezone: "America/New_York" });
    expect(iso(ny.slotAt(ms("2026-07-01T14:00:00Z"), "Europe/Berlin")!.at)).toBe("2026-07-01T13:00:00.000Z");
  });

  it("fires a daily 02:30 job once on DST days (America/New_York)", () => {
    const c = crontab({ minute: 30, hour: 2, timezone: "America/New_York" });
    // Spring forward 2026-03-08: 02:30 does not exist; the job runs when the clock jumps (03:00 EDT).
    expect(runs(c, "2026-03-07T00:00:00Z", 3)).toEqual(["2026-03-07T07:30:00.000Z", "2026-03-08T07:00:00.000Z", "2026-03-09T06:30:00.000Z"]);
    // Fall back 2026-11-01: 02:30 happens once (EST).
    expect(runs(c, "2026-10-31T00:00:00Z", 3)).toEqual(["2026-10-31T06:30:00.000Z", "2026-11-01T07:30:00.000Z", "2026-11-02T07:30:00.000Z"]);
    // 01:30 happens twice on 2026-11-01; a fixed-time job runs on the first one only.
    expect(runs(crontab("30 1 * * *", { timezone: "America/New_York" }), "2026-10-31T12:00:00Z", 2)).toEqual(["2026-11-01T05:30:00.000Z", "2026-11-02T06:30:00.000Z"]);
  });

  it("fires a daily 02:30 job once on DST days (Europe/Berlin)", () => {
    const c = crontab("30 2 * * *", { timezone: "Europe/Berlin" });
    expect(runs(c, "2026-03-28T12:00:00Z", 2)).toEqual(["2026-03-29T01:00:00.000Z", "2026-03-30T00:30:00.000Z"]);
    expect(runs(c, "2026-10-24T12:00:00Z", 2)).toEqual(["2026-10-25T00:30:00.000Z", "2026-10-26T01:30:00.000Z"]);
  });

  it("rejects invalid fields, strings and timezones with ConfigError", () => {
    const bad: (() => unknown)[] = [
      () => crontab({ minute: 61 }),
      () => crontab({ hour: 24 }),
      () => crontab({ dayOfWeek: 8 }),
      () => crontab({ dayOfMonth: 0 }),
      () => crontab({ monthOfYear: 13 }),
      () => crontab({ minute: "a" }),
      () => crontab({ minute: "1 2" }),
      () => crontab({ minute: -1 }),
      () => crontab({ minute: 1.5 }),
      () => crontab({ minute: [] }),
      () => crontab({ minute: "5/5" }),
      () => crontab({ dayOfWeek: "funday" }),
      () => crontab({ minutes: 5 } as never),
      () => crontab("* * * *"),
      () => crontab("*/15 * * * * *"),
      () => crontab("0 0 30 2 *"),
      () => crontab({ minute: 0, timezone: "Mars/Olympus_Mons" }),
      () => crontab("0 0 * * *", { timezone: "" }),
    ];
    for (const [i, f] of bad.entries()) expect(f, `case ${i}`).toThrow(ConfigError);
  });
});

describe("slot ids", () => {
  it("are RFC 4122 UUID v5, as Python's uuid.uuid5 computes them", async () => {
    expect(await uuid5("python.org", "6ba7b810-9dad-11d1-80b4-00c04fd430c8")).toBe("886313e1-3b8a-5372-9b90-0c9aee199e5d");
    expect(beatKey("clear-cache", 1767225600000)).toBe("celeriac-beat:clear-cache:1767225600000");
    expect(await beatTaskId("clear-cache", 1767225600000)).toBe("727d5df9-653c-5476-9ae6-8a7ebefea103");
    expect(await beatTaskId("émoji ✓", 0)).toBe("a421ee84-d0b0-595b-bf44-95d03cec0484");
  });
});
