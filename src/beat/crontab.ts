/**
 * `crontab()`: Celery's crontab schedule on top of croner. Five fields (minute, hour, day of
 * month, month, day of week), day of week 0 = Sunday (7 too), names (`mon-fri`, `jan`),
 * lists, ranges and steps, evaluated in an IANA timezone.
 *
 * Day of month and day of week are **ANDed**, as in Celery: `crontab({ dayOfMonth: "1-7",
 * dayOfWeek: "mon" })` is the first Monday of the month. Unix cron ORs them when both are
 * restricted; to get that, write two entries.
 * @module
 */
import { Cron } from "croner";
import { ConfigError } from "../errors.ts";
import { assertTimezone, type Schedule, type ScheduleSlot } from "./schedule.ts";

/** One crontab field: `5`, `"*\/15"`, `"0-30/5"`, `"1,2"`, `"mon-fri"` or a list of those. */
export type CrontabField = number | string | readonly (number | string)[];

/** Options of a crontab schedule. */
export interface CrontabOptions {
  /** IANA zone the fields are read in (default: `app.conf.timezone`, else UTC). */
  timezone?: string;
}

/** The fields of `crontab({...})`; a missing field is `"*"` (Celery's defaults). */
export interface CrontabFields extends CrontabOptions {
  minute?: CrontabField;
  hour?: CrontabField;
  dayOfWeek?: CrontabField;
  dayOfMonth?: CrontabField;
  monthOfYear?: CrontabField;
}

const FULL_NAMES = /\b(sunday|monday|tuesday|wednesday|thursday|friday|saturday|january|february|march|april|june|july|august|september|october|november|december)\b/gi;

/** A crontab schedule. Build it with `crontab()`. */
export class Crontab implements Schedule {
  /** The normalised 5-field expression. */
  readonly expression: string;
  /** The schedule's own zone, if it has one. */
  readonly timezone: string | undefined;
  private readonly crons = new Map<string, Cron>();
  private last?: { tz: string; slot: ScheduleSlot };

  constructor(expression: string, opts: CrontabOptions = {}) {
    if (opts.timezone !== undefined) assertTimezone(opts.timezone, `crontab ${JSON.stringify(expression)}`);
    this.expression = expression.trim().replace(/\s+/g, " ").replace(FULL_NAMES, (n) => n.slice(0, 3));
    this.timezone = opts.timezone;
    const cron = this.cron(opts.timezone ?? "UTC");
    if (cron.nextRun(new Date(0)) === null) throw new ConfigError(`crontab ${JSON.stringify(expression)} never fires`);
  }

  /** The latest fire time at or before `nowMs` and the one after it. */
  slotAt(nowMs: number, timezone: string): ScheduleSlot | null {
    const tz = this.timezone ?? timezone;
    const last = this.last;
    // The latest slot stays the same until the next one: no search needed (ticks are frequent).
    if (last?.tz === tz && last.slot.at <= nowMs && (last.slot.next === null || nowMs < last.slot.next)) return last.slot;
    const cron = this.cron(tz);
    // previousRuns excludes a run exactly at the reference; +1 ms includes it (runs are whole minutes).
    const prev = cron.previousRuns(2, new Date(nowMs + 1)).map((d) => d.getTime()).find((t) => t <= nowMs);
    if (prev === undefined) return null;
    const slot = { at: prev, next: cron.nextRun(new Date(prev))?.getTime() ?? null };
    this.last = { tz, slot };
    return slot;
  }

  /** `crontab("0 0 * * *", Europe/Berlin)`. */
  toString(): string {
    return `crontab(${JSON.stringify(this.expression)}${this.timezone ? `, ${this.timezone}` : ""})`;
  }

  private cron(tz: string): Cron {
    let c = this.crons.get(tz);
    if (!c) {
      try {
        c = new Cron(this.expression, { mode: "5-part", domAndDow: true, timezone: tz });
      } catch (cause) {
        throw new ConfigError(`invalid crontab ${JSON.stringify(this.expression)}: ${(cause as Error)?.message ?? cause}`, { cause });
      }
      this.crons.set(tz, c);
    }
    return c;
  }
}

/**
 * A crontab schedule, from Celery-style fields or a 5-field cron string. Throws
 * `ConfigError` for an invalid field, an unknown timezone or a pattern that never fires.
 * @example
 * crontab({ minute: 0, hour: 0 });                        // daily at midnight
 * crontab({ minute: "*\/15", dayOfWeek: "mon-fri" });     // every 15 min on weekdays
 * crontab("30 2 * * *", { timezone: "Europe/Berlin" });  // 02:30 Berlin time
 */
export function crontab(fields?: CrontabFields): Crontab;
export function crontab(expression: string, opts?: CrontabOptions): Crontab;
export function crontab(input: string | CrontabFields = {}, opts: CrontabOptions = {}): Crontab {
  if (typeof input === "string") {
    if (input.trim().split(/\s+/).length !== 5 && !input.trim().startsWith("@")) {
      throw new ConfigError(`crontab ${JSON.stringify(input)}: expected 5 fields (minute hour day-of-month month day-of-week)`);
    }
    return new Crontab(input, opts);
  }
  if (typeof input !== "object" || input === null) throw new ConfigError(`crontab(): expected fields or a cron string, got ${String(input)}`);
  const known = new Set(["minute", "hour", "dayOfWeek", "dayOfMonth", "monthOfYear", "timezone"]);
  for (const k of Object.keys(input)) if (!known.has(k)) throw new ConfigError(`crontab(): unknown field ${JSON.stringify(k)}`);
  const parts = [input.minute, input.hour, input.dayOfMonth, input.monthOfYear, input.dayOfWeek]
    .map((f, i) => fieldText(f, ["minute", "hour", "dayOfMonth", "monthOfYear", "dayOfWeek"][i]!));
  return new Crontab(parts.join(" "), { timezone: input.timezone });
}

function fieldText(f: CrontabField | undefined, name: string): string {
  if (f === undefined) return "*";
  const items = Array.isArray(f) ? f : [f];
  if (!items.length) throw new ConfigError(`crontab(): ${name} is an empty list`);
  return items.map((v) => {
    if (typeof v === "number" && Number.isInteger(v) && v >= 0) return String(v);
    if (typeof v === "string" && /^[0-9a-z*?/,#-]+$/i.test(v.trim())) return v.trim();
    throw new ConfigError(`crontab(): invalid ${name} ${JSON.stringify(v)}`);
  }).join(",");
}
