import { SoftTimeLimitExceeded, TimeLimitExceeded } from "../errors.ts";

/**
 * Run `fn` under Celery's time limits (seconds). At the soft limit `ctrl` aborts with
 * SoftTimeLimitExceeded so the task can clean up; at the hard limit the promise rejects with
 * TimeLimitExceeded (JS cannot kill the function; its signal is aborted too).
 */
export function runWithLimits<T>(
  fn: () => Promise<T>,
  limits: { hard: number | null; soft: number | null },
  ctrl: AbortController,
): Promise<T> {
  const timers: ReturnType<typeof setTimeout>[] = [];
  const clear = (): void => timers.forEach(clearTimeout);
  if (limits.soft != null && limits.soft > 0) {
    timers.push(setTimeout(() => ctrl.abort(new SoftTimeLimitExceeded(limits.soft!)), limits.soft * 1000));
  }
  const hard = limits.hard != null && limits.hard > 0
    ? new Promise<never>((_, reject) => {
      timers.push(setTimeout(() => {
        const err = new TimeLimitExceeded(limits.hard!);
        if (!ctrl.signal.aborted) ctrl.abort(err);
        reject(err);
      }, limits.hard! * 1000));
    })
    : null;
  const run = fn();
  const raced = hard ? Promise.race([run, hard]) : run;
  return raced.finally(clear);
}
