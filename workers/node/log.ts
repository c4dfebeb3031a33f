/**
 * The CLI's log lines on stderr: Celery's levels (`-l/--loglevel`) and, with `--json`, one JSON
 * object per line (`{"time", "level", "message", ...fields}`) for log collectors.
 * @module
 */
import { UsageError } from "./cli-kit.ts";

/** Celery's log levels, least severe first (`-l/--loglevel`). */
export const LEVELS = ["debug", "info", "warning", "error", "critical"] as const;
/** One of {@link LEVELS}. */
export type Level = (typeof LEVELS)[number];
let threshold = 1;

/** `-l/--loglevel`: lines below `level` are not printed (case-insensitive, as in Celery). */
export function setLogLevel(level: string | undefined): void {
  if (level === undefined) return;
  const i = LEVELS.indexOf(level.toLowerCase() as Level);
  if (i < 0) throw new UsageError(`-l/--loglevel must be one of ${LEVELS.join(", ")}, got "${level}"`);
  threshold = i;
}

let json = false;

/** `--json`: every later log line is one JSON object. */
export function setJsonLogs(on: boolean | undefined): void {
  json = on === true;
}

/**
 * One log line on stderr (stdout carries only the JSON of --drain and --once); `fields` are
 * added to the JSON object of `--json` logs (a task event's uuid, name, runtime...).
 */
export function log(line: string, level: Level = "info", fields?: Record<string, unknown>): void {
  if (LEVELS.indexOf(level) < threshold) return;
  const time = new Date().toISOString();
  console.error(json ? JSON.stringify({ time, level, message: line, ...fields }) : `[${time}] ${line}`);
}
