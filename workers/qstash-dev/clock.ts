/**
 * Time for the local QStash server: `now()` plus wake-ups at an instant. The real clock uses
 * one timer per wake-up; the manual clock moves only when a test calls `advance`, so tests
 * never race real delays.
 * @module
 */

/** The server's view of time. */
export interface Clock {
  /** Epoch ms. */
  now(): number;
  /** Call `fn` once at epoch ms `at` (or soon, when `at` has passed); returns a canceller. */
  wake(at: number, fn: () => void): () => void;
}

/** `Date.now` and `setTimeout` (timers do not keep a process alive). */
export const realClock: Clock = {
  now: () => Date.now(),
  wake(at, fn) {
    const t = setTimeout(fn, Math.max(0, Math.min(at - Date.now(), 2 ** 31 - 1)));
    (t as { unref?: () => void }).unref?.();
    return () => clearTimeout(t);
  },
};

/** A clock that stands still until `advance` (or `set`) moves it. */
export class ManualClock implements Clock {
  private t: number;
  private readonly waiting = new Set<{ at: number; fn: () => void }>();

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  wake(at: number, fn: () => void): () => void {
    const w = { at, fn };
    this.waiting.add(w);
    if (at <= this.t) queueMicrotask(() => this.fire());
    return () => void this.waiting.delete(w);
  }

  /** Move time forward by `ms` and run every wake-up that became due, in time order. */
  advance(ms: number): void {
    this.t += ms;
    this.fire();
  }

  private fire(): void {
    const due = [...this.waiting].filter((w) => w.at <= this.t).sort((a, b) => a.at - b.at);
    for (const w of due) {
      this.waiting.delete(w);
      w.fn();
    }
  }
}
