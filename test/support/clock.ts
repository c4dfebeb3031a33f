import type { Clock } from "../../mod.ts";

/** A clock that only moves when the test moves it (`new Celeriac(name, { clock })`). */
export interface ManualClock extends Clock {
  /** Move forward by `ms`. */
  advance(ms: number): void;
}

/** A manual clock starting at `start` (default: the wall clock now, so ids and dates look real). */
export function manualClock(start: number = Date.now()): ManualClock {
  let t = start;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
  };
}
