/** Celery's retry backoff: `min(max, factor * 2 ** retries)`, then full jitter. Seconds. */
export function backoffCountdown(opts: {
  factor: number;
  retries: number;
  max: number;
  jitter: boolean;
  random?: () => number;
}): number {
  const countdown = Math.min(opts.max, opts.factor * 2 ** opts.retries);
  return opts.jitter ? Math.floor((opts.random ?? Math.random)() * (countdown + 1)) : countdown;
}
