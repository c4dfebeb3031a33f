/**
 * How an idle worker on Upstash waits without polling. It holds one SSE subscription to the
 * wake channel `<prefix>_celeriac.wake`, on which every celeriac producer (HTTP or TCP) PUBLISHes
 * in the same request as its LPUSH/ZADD: `[dueMs, ...queues]` (TCP's delayed publish sends a
 * bare `dueMs`). A wake-up for one of our queues that is due now ends the wait; a future one
 * (a countdown) only sets the timer, as does the earliest due time the last empty claim
 * reported (delayed head, expired claims). Past `maxIdleMs` the worker claims anyway (Python
 * producers publish no wake-up). The subscription stays open across waits, is renewed after its
 * lifetime at an idle-cap claim, and is closed when the waiting worker stops. Where it cannot be
 * opened (an endpoint without `/subscribe`, an error), waits fall back to the polls of
 * `IdleWaiter` (./idle.ts); the subscription is tried again later.
 * @module
 */
import type { IdleOptions } from "./idle-options.ts";
import { IdleWaiter } from "./idle.ts";
import { subscribe, type SseTarget, type Subscription } from "./sse.ts";

/** One broker's idle waits on its wake channel (`sse: upstashSse`, ./sse-waits.ts). */
export class SseIdleWaiter extends IdleWaiter {
  private sub: Subscription | null = null;
  private opening: Subscription | null = null;
  private failures = 0;
  private retryAt = 0;
  private readonly signals = new WeakSet<AbortSignal>();

  constructor(private readonly target: SseTarget | null, private readonly channel: string, opts: IdleOptions, now: () => number) {
    super(opts, now);
  }

  /** True while a subscription is open (for tests and stats). */
  override get listening(): boolean {
    return this.sub !== null;
  }

  override async wait(queues: string[], signal?: AbortSignal): Promise<void> {
    // The worker that waits stops when `signal` aborts, whenever that is: the subscription goes with it.
    if (signal && !this.signals.has(signal)) {
      this.signals.add(signal);
      if (signal.aborted) this.close();
      else signal.addEventListener("abort", () => this.close(), { once: true });
    }
    signal?.throwIfAborted();
    for (const q of queues) this.queues.add(q); // every queue any waiter of this broker consumes
    if (this.opts.subscribe && this.target) {
      if (!this.sub && Date.now() >= this.retryAt) {
        // Listening first, then the worker claims again: nothing published meanwhile is missed.
        if (await this.open()) return;
      }
      if (this.sub) {
        const timedOut = await this.sleep(this.opts.maxIdleMs, signal);
        // At an idle-cap claim an old subscription is replaced before the claim (no gap unseen).
        if (timedOut && this.sub && Date.now() - this.sub.openedAt >= this.opts.lifetimeMs) {
          this.drop();
          await this.open();
        }
        return;
      }
    }
    await this.pollWait(signal);
  }

  /** Close the subscription and end a pending wait. */
  override close(): void {
    const opening = this.opening;
    this.opening = null;
    opening?.close();
    this.drop();
    this.wakeUp();
  }

  private async open(): Promise<boolean> {
    const sub = subscribe(this.target!, "subscribe", this.channel, (data) => this.onMessage(data), {
      timeoutMs: this.opts.timeoutMs, lifetimeMs: this.opts.lifetimeMs + this.opts.maxIdleMs,
    });
    this.opening = sub;
    try {
      await sub.ready;
      if (this.opening !== sub) throw new Error("closed while opening");
    } catch {
      if (this.opening === sub) this.opening = null;
      sub.close();
      this.failed();
      return false;
    }
    this.opening = null;
    this.sub = sub;
    // A lost stream may have dropped a wake-up: the waiting worker claims again. One that was
    // lost soon after it opened counts as a failure, so a server that keeps closing it is polled.
    void sub.closed.then(() => {
      if (this.sub !== sub) return;
      this.sub = null;
      if (Date.now() - sub.openedAt < 5000) this.failed();
      else this.failures = 0;
      this.wakeUp();
    });
    return true;
  }

  private failed(): void {
    this.failures++;
    this.retryAt = Date.now() + Math.min(this.opts.maxIdleMs, 1000 * 2 ** Math.min(this.failures, 16));
  }

  private drop(): void {
    const sub = this.sub;
    this.sub = null;
    sub?.close();
  }

  private onMessage(data: string): void {
    let due = 0;
    let queues: unknown[] = [];
    try {
      const v: unknown = JSON.parse(data);
      if (Array.isArray(v)) [due, ...queues] = v as [number, ...unknown[]];
      else due = Number(v);
    } catch {
      // Not ours to read: treat as "look now".
    }
    if (queues.length && !queues.some((q) => this.queues.has(String(q)))) return;
    if (Number.isFinite(due) && due > this.now()) {
      if (due < this.dueAt) {
        this.dueAt = due;
        this.rearm(); // re-arm the timers
      }
      return;
    }
    this.wakeUp();
  }
}
