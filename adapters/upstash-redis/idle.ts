/**
 * How an idle Upstash worker waits between empty claims, without a subscription: polls that
 * start fast after work (`pollMinMs`) and back off to `pollMaxMs`, never past the earliest due
 * time the last empty claim reported (delayed head, expired claims). `SseIdleWaiter`
 * (./idle-sse.ts, in the broker only when `sse: upstashSse` is passed) adds the SSE wake-ups.
 * @module
 */
import type { IdleOptions } from "./idle-options.ts";

/** One broker's idle waits (polling; the SSE waiter extends it). */
export class IdleWaiter {
  protected readonly queues: Set<string> = new Set<string>();
  protected dueAt = Infinity;
  private poll: number;
  private fired = false;
  private wakes = 0;
  private readonly kicks = new Set<() => void>();

  constructor(protected readonly opts: IdleOptions, protected readonly now: () => number) {
    this.poll = opts.pollMinMs;
  }

  /** The timings it was built with. */
  get options(): IdleOptions {
    return this.opts;
  }

  /** Call when a claim starts; hand the mark to `claimed`. */
  claiming(): number {
    return this.wakes;
  }

  /**
   * What a claim found: work (polls restart fast) or nothing, with the earliest due time. A
   * wake-up that came before the claim started is answered by it and forgotten.
   */
  claimed(mark: number, found: boolean, dueAt = Infinity): void {
    if (found) this.poll = this.opts.pollMinMs;
    this.dueAt = found ? Infinity : dueAt;
    if (mark === this.wakes) this.fired = false;
  }

  /** True while a subscription is open (for tests and stats); never without SSE. */
  get listening(): boolean {
    return false;
  }

  /** Wait until work may be there: one poll interval (doubling), the due time, or a wake-up. */
  async wait(queues: string[], signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    for (const q of queues) this.queues.add(q); // every queue any waiter of this broker consumes
    await this.pollWait(signal);
  }

  /** End a pending wait (and close a subscription, if any). */
  close(): void {
    this.wakeUp();
  }

  protected async pollWait(signal?: AbortSignal): Promise<void> {
    const ms = this.poll;
    this.poll = Math.min(this.opts.pollMaxMs, this.poll * 2);
    await this.sleep(ms, signal);
  }

  /** Re-arm pending timers (the due time moved earlier). */
  protected rearm(): void {
    for (const k of [...this.kicks]) k();
  }

  protected wakeUp(): void {
    this.wakes++;
    this.fired = true;
    this.rearm();
  }

  /**
   * Wait for a wake-up, `dueAt` or `ms`, whichever is first; resolve true when `ms` passed.
   * A wake-up fired before (between the last claim and now) ends it at once.
   */
  protected async sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
    const end = Date.now() + ms;
    const seen = this.wakes;
    for (let first = true; ; first = false) {
      // A wake-up pending from before (first look), or any during this wait (every waiter sees it).
      if ((first && this.fired) || this.wakes !== seen) {
        this.fired = false;
        return false;
      }
      signal?.throwIfAborted();
      const untilDue = this.dueAt - this.now();
      if (untilDue <= 0) return false;
      const left = end - Date.now();
      if (left <= 0) return true;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(t);
          signal?.removeEventListener("abort", done);
          this.kicks.delete(done);
          resolve();
        };
        const t = setTimeout(done, Math.min(left, untilDue, 2_147_483_647));
        this.kicks.add(done);
        signal?.addEventListener("abort", done, { once: true });
      });
    }
  }
}
