/** Time helpers: Celery writes ISO 8601 with an explicit `+00:00` offset. */
import { Wake } from "./wake.ts";

/** ISO 8601 in UTC with microseconds and `+00:00`, as Celery emits for eta/expires. */
export function isoWithOffset(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000+00:00");
}

/** Celery 5.2's `date_done`: naive UTC with microseconds. */
export function naiveUtc(ms: number): string {
  return isoWithOffset(ms).slice(0, -6);
}

/** Parse an ISO instant; a naive value is UTC (protocol v2 says so). Returns epoch ms or NaN. */
export function parseInstant(value: string): number {
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/.test(value);
  return Date.parse(hasZone ? value : `${value}Z`);
}

/**
 * Resolves after `ms` (at most 2^31 − 1 ms: longer waits end then), or rejects with the
 * signal's reason when it aborts.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Wake().next(ms, signal);
}
