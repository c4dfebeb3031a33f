/**
 * Schedules: when a beat entry is due. A schedule maps an instant to its latest slot at or
 * before that instant. Slots come from the clock alone, so every process that asks about the
 * same instant gets the same slot, which lets `beat.tick` dedupe sends without local state.
 * @module
 */
import { ConfigError } from "../errors.ts";

/** The latest slot at or before an instant, and the slot after it (epoch ms). */
export interface ScheduleSlot {
  /** The slot, at or before the instant asked about. */
  at: number;
  /** The next slot after `at`, or null when there is none. */
  next: number | null;
}

/**
 * When an entry is due. `crontab()` and `every()` build one; implement it for anything else
 * (business days, solar events...).
 */
export interface Schedule {
  /**
   * The latest slot at or before `nowMs`, or null when there is none. `timezone` is the
   * app's IANA zone (`app.conf.timezone`, default "UTC"); a schedule may carry its own.
   * It must be a pure function of its arguments: processes agree on slots only that way.
   */
  slotAt(nowMs: number, timezone: string): ScheduleSlot | null;
  /** A short description for logs and errors. */
  toString(): string;
}

const knownZones = new Set<string>(["UTC"]);

/** Throws `ConfigError` unless `tz` is an IANA zone this runtime knows. */
export function assertTimezone(tz: unknown, what = "timezone"): asserts tz is string {
  if (typeof tz === "string") {
    try {
      // Throws a RangeError for "" and for zones this runtime does not know.
      if (!knownZones.has(tz)) new Intl.DateTimeFormat("en-US", { timeZone: tz });
      knownZones.add(tz);
      return;
    } catch { /* not a zone this runtime knows */ }
  }
  throw new ConfigError(`${what}: unknown IANA timezone ${JSON.stringify(tz)}`);
}

/** True when `v` looks like a `Schedule`. */
export function isSchedule(v: unknown): v is Schedule {
  return typeof v === "object" && v !== null && typeof (v as Schedule).slotAt === "function";
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Milliseconds of a duration: a number of ms, or a string such as `"30s"`, `"5m"`, `"1h30m"`,
 * `"1d"`, `"250ms"`. Throws `ConfigError` for anything else.
 */
export function parseDuration(input: number | string, what = "duration"): number {
  if (typeof input === "number") {
    if (!Number.isFinite(input) || input < 0) throw new ConfigError(`${what}: expected ms ≥ 0, got ${input}`);
    return input;
  }
  const s = typeof input === "string" ? input.trim().toLowerCase() : "";
  let ms = 0;
  // Valid when the parts (`<number><unit>`) make up the whole string.
  const rest = s.replace(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g, (_, n: string, unit: string) => {
    ms += Number(n) * UNIT_MS[unit]!;
    return "";
  });
  if (!s || rest) {
    throw new ConfigError(`${what}: expected ms or a duration like "30s", "5m", "1h", "1d", got ${JSON.stringify(input)}`);
  }
  return Math.round(ms);
}

/**
 * A fixed interval whose slots are anchored to the Unix epoch: the slot of an instant is
 * `floor(now / interval) * interval`. Independent processes agree on it and it never
 * drifts, whenever and however often it is ticked. `every("1d")` is due at 00:00 UTC.
 */
export class Every implements Schedule {
  /** The interval in ms. */
  declare readonly intervalMs: number;

  constructor(interval: number | string) {
    const ms = parseDuration(interval, "every()");
    if (!Number.isInteger(ms) || ms < 1_000) throw new ConfigError(`every(): the interval must be a whole number of ms ≥ 1000, got ${ms}`);
    this.intervalMs = ms;
  }

  /** The slot containing `nowMs` and the one after it. */
  slotAt(nowMs: number): ScheduleSlot {
    const at = Math.floor(nowMs / this.intervalMs) * this.intervalMs;
    return { at, next: at + this.intervalMs };
  }

  /** `every(30000ms)`. */
  toString(): string {
    return `every(${this.intervalMs}ms)`;
  }
}

/**
 * A schedule due every `interval`: ms, or `"30s"`, `"5m"`, `"1h"`, `"1d"`, `"1h30m"`
 * (at least one second). Slots are aligned to the epoch in UTC.
 * @example
 * app.conf.beatSchedule = { poll: { task: "tasks.poll", schedule: every("30s"), args: [1] } };
 */
export function every(interval: number | string): Every {
  return new Every(interval);
}
