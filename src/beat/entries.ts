/**
 * The beat configuration (`app.conf.beatSchedule`, `timezone`, `beatStartingDeadline`):
 * its types and its validation. Every problem is a `ConfigError` naming the entry.
 * @module
 */
import type { ApplyOptions } from "../canvas/signature.ts";
import { ConfigError } from "../errors.ts";
import { assertTimezone, isSchedule, type Schedule } from "./schedule.ts";

/** Sending options of an entry: the `applyAsync` options that make sense for periodic sends. */
export type BeatEntryOptions = Pick<
  ApplyOptions,
  "queue" | "priority" | "expires" | "countdown" | "headers" | "ignoreResult" | "timeLimit" | "softTimeLimit" | "shadow" | "link" | "linkError"
>;

/** One entry of `app.conf.beatSchedule` (Celery's `{task, schedule, args, kwargs, options}`). */
export interface BeatEntry {
  /** Task name; it need not be registered in this app. */
  task: string;
  /** `crontab(...)`, `every(...)` or any `Schedule`. */
  schedule: Schedule;
  args?: unknown[];
  kwargs?: Record<string, unknown>;
  /** Queue, priority, expires (seconds after sending), ... */
  options?: BeatEntryOptions;
  /**
   * Seconds: a slot older than this when a tick sees it is skipped. Default
   * `app.conf.beatStartingDeadline`, else the smaller of the period and one hour.
   * `Infinity` never skips.
   */
  startingDeadline?: number;
}

/** `app.conf.beatSchedule`: entry name → entry. */
export type BeatSchedule = Record<string, BeatEntry>;

/** An entry after validation. */
export interface ResolvedEntry {
  name: string;
  task: string;
  schedule: Schedule;
  args: unknown[];
  kwargs: Record<string, unknown>;
  options: BeatEntryOptions;
  /** Starting deadline in ms, or undefined for the default. */
  deadlineMs: number | undefined;
}

/** The validated beat configuration. */
export interface BeatConfig {
  entries: ResolvedEntry[];
  /** The app's zone for schedules without their own. */
  timezone: string;
}

const ENTRY_KEYS = ["task", "schedule", "args", "kwargs", "options", "startingDeadline"];
// In the order of src/canvas/options.ts (gzip shares the runs).
const OPTION_KEYS = [
  "priority", "countdown", "expires", "timeLimit", "softTimeLimit", "ignoreResult", "queue", "shadow", "link", "linkError", "headers",
];

/** Read and validate the beat settings of an app's conf. */
export function readBeatConfig(conf: Record<string, unknown>): BeatConfig {
  const timezone = conf.timezone ?? "UTC";
  assertTimezone(timezone, "conf.timezone");
  const globalDeadline = deadline(conf.beatStartingDeadline, "conf.beatStartingDeadline");
  const schedule = conf.beatSchedule ?? {};
  if (!isPlainObject(schedule)) throw new ConfigError("conf.beatSchedule must be an object of entries");
  const entries = Object.entries(schedule).map(([name, e]) => resolveEntry(name, e, globalDeadline));
  return { entries, timezone };
}

function resolveEntry(name: string, e: unknown, globalDeadline: number | undefined): ResolvedEntry {
  const what = `beatSchedule[${JSON.stringify(name)}]`;
  const fail = (msg: string): never => {
    throw new ConfigError(`${what}: ${msg}`);
  };
  if (!name) fail("an entry needs a name");
  if (!isPlainObject(e)) return fail("must be an object { task, schedule, args?, kwargs?, options? }");
  for (const k of Object.keys(e)) if (!ENTRY_KEYS.includes(k)) fail(`unknown key ${JSON.stringify(k)}`);
  if (typeof e.task !== "string" || !e.task) fail("task must be a non-empty task name");
  if (!isSchedule(e.schedule)) fail(`schedule must be crontab(...), every(...) or a Schedule, got ${JSON.stringify(e.schedule)}`);
  if (e.args !== undefined && !Array.isArray(e.args)) fail("args must be an array");
  if (e.kwargs !== undefined && !isPlainObject(e.kwargs)) fail("kwargs must be an object");
  const options = e.options ?? {};
  if (!isPlainObject(options)) return fail("options must be an object");
  for (const k of Object.keys(options)) {
    if (k === "taskId") fail("options.taskId is not allowed: beat derives the id from the entry and the slot");
    if (!OPTION_KEYS.includes(k)) fail(`unknown option ${JSON.stringify(k)} (allowed: ${OPTION_KEYS.join(", ")})`);
  }
  const p = options.priority;
  if (p !== undefined && (!Number.isInteger(p) || (p as number) < 0 || (p as number) > 9)) fail(`options.priority must be an integer 0–9, got ${p}`);
  if (options.queue !== undefined && (typeof options.queue !== "string" || !options.queue)) fail("options.queue must be a non-empty string");
  if (options.headers !== undefined && !isPlainObject(options.headers)) fail("options.headers must be an object");
  for (const k of ["countdown", "timeLimit", "softTimeLimit"] as const) {
    if (options[k] !== undefined && !isSeconds(options[k])) fail(`options.${k} must be seconds ≥ 0`);
  }
  return {
    ...(e as Pick<ResolvedEntry, "task" | "schedule">), name, args: (e.args as unknown[]) ?? [],
    kwargs: (e.kwargs as Record<string, unknown>) ?? {}, options: options as BeatEntryOptions,
    deadlineMs: deadline(e.startingDeadline, `${what}.startingDeadline`) ?? globalDeadline,
  };
}

function deadline(v: unknown, what: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isSeconds(v)) throw new ConfigError(`${what} must be seconds ≥ 0 (or Infinity), got ${String(v)}`);
  return v * 1000;
}

function isSeconds(v: unknown): v is number {
  return typeof v === "number" && v >= 0;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}
