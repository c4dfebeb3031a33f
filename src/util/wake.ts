/**
 * `Wake`: a level-triggered wake-up flag for loops that wait for "something may have changed"
 * notifications (a pub/sub message, a blocking command returning) instead of polling. A `fire()`
 * that comes before `next()` is kept, so no notification between a read and the wait is lost.
 * @module
 */

/** A wake-up flag; `fire` may be called from any callback. */
export class Wake {
  private fired = false;
  private resolve: (() => void) | null = null;

  /** Mark a change; wakes the pending `next()` or the next one. */
  readonly fire = (): void => {
    this.fired = true;
    this.resolve?.();
  };

  /** Resolve on the next (or an already pending) `fire`, after `ms`, or reject when `signal` aborts. */
  next(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      if (this.fired) {
        this.fired = false;
        return resolve();
      }
      const done = (err?: unknown): void => {
        clearTimeout(t);
        signal?.removeEventListener("abort", onAbort);
        this.resolve = null;
        this.fired = false;
        if (err === undefined) resolve();
        else reject(err);
      };
      const onAbort = (): void => done(signal!.reason ?? new Error("aborted"));
      const t = setTimeout(() => done(), Math.min(Math.max(0, ms), 2_147_483_647));
      this.resolve = () => done();
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
}
