import { ConfigError } from "../errors.ts";

/** Parse Celery's rate limit (`"10/s"`, `"100/m"`, `"5/h"` or a number per second) into tasks/s. */
export function parseRate(rate: string | number): number {
  if (typeof rate === "number") return rate;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*([smh]))?\s*$/.exec(rate);
  if (!m) throw new ConfigError(`invalid rate limit ${JSON.stringify(rate)} (use "10/s", "100/m" or "5/h")`);
  const per = { s: 1, m: 60, h: 3600 }[(m[2] ?? "s") as "s" | "m" | "h"];
  return Number(m[1]) / per;
}

/**
 * A token bucket with capacity 1, as Celery's per-worker rate limit: tasks of one name are
 * spaced `1/rate` seconds apart on one worker instance (not a global limit).
 */
export class TokenBucket {
  private next = 0;
  constructor(private readonly perSecond: number) {}

  /** 0 when a token was taken at `now` (epoch ms), else the ms to wait before trying again. */
  take(now: number): number {
    if (this.perSecond <= 0) return 0;
    if (now >= this.next) {
      this.next = now + 1000 / this.perSecond;
      return 0;
    }
    return Math.ceil(this.next - now);
  }
}
