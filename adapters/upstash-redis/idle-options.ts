/**
 * Options of an idle Upstash worker's waits (`UpstashRedisBrokerOptions.idle`), see `./idle.ts`.
 * @module
 */

/** How an idle worker waits for work (docs/upstash-redis.md, "Idle workers"). */
export interface UpstashIdleOptions {
  /**
   * Hold one SSE subscription (`POST /subscribe/<prefix>_celeriac.wake`) and wait for wake-ups
   * (default true); false, or where subscribing fails, polls with back-off instead.
   */
  subscribe?: boolean;
  /** With a subscription: claim anyway after this long without a wake-up (default 60 000 ms). */
  maxIdleMs?: number;
  /** Without one: the first poll after work (default 50 ms), doubling up to `pollMaxMs`. */
  pollMinMs?: number;
  /** Without one: the longest poll interval (default 5 000 ms). */
  pollMaxMs?: number;
  /** A subscription is renewed after this long (default 600 000 ms), at an idle-cap claim. */
  subscriptionMs?: number;
  /** PUBLISH a wake-up with every publish (default true; one more command in the same request). */
  publishWakeups?: boolean;
}

/** `UpstashIdleOptions` with the defaults filled in. */
export function idleOptions(i: UpstashIdleOptions, timeoutMs: number): IdleOptions {
  return {
    subscribe: i.subscribe ?? true, maxIdleMs: i.maxIdleMs ?? 60_000, pollMinMs: i.pollMinMs ?? 50,
    pollMaxMs: i.pollMaxMs ?? 5_000, lifetimeMs: i.subscriptionMs ?? 600_000, timeoutMs: timeoutMs > 0 && timeoutMs < Infinity ? timeoutMs : 10_000,
  };
}

/** Timing of idle waits, defaults applied. */
export interface IdleOptions {
  subscribe: boolean;
  maxIdleMs: number;
  pollMinMs: number;
  pollMaxMs: number;
  lifetimeMs: number;
  timeoutMs: number;
}

