/**
 * How an idle TCP Redis worker waits without polling. Per queue list one side connection
 * blocks in `BLMOVE list list RIGHT RIGHT 0`: with source = destination that is a no-op on
 * the list (the element never leaves it, so nothing can be lost), but it returns as soon as
 * the list is non-empty, whoever pushed (celeriac or Python Celery). Messages celeriac
 * publishes with a future ETA go to the delayed set and announce themselves on the wake
 * channel; due delayed messages and expired claims of dead workers are covered by a timer set
 * from the earliest score of each set. The blocking calls stay armed across waits, so a
 * worker with nothing to do sends no command at all until the idle cap (default 5 min).
 * @module
 */
import type { Redis } from "ioredis";
import { Wake } from "../../src/util/wake.ts";
import { sidecar } from "./client.ts";

/** Keys and timing one wait needs. */
export interface IdleRequest {
  lists: string[];
  /** Epoch ms when a delayed message or an expired claim falls due (Infinity: none). */
  dueAt: number;
  now: number;
  signal?: AbortSignal;
}

/** Blocking watchers on queue lists plus the wake channel, shared by every wait of one broker. */
export class IdleWaiter {
  private readonly wake = new Wake();
  private readonly conns = new Map<string, Redis>();
  private readonly armed = new Set<string>();
  private sub: Redis | null = null;
  private subscribed: Promise<unknown> = Promise.resolve();
  private listening = false;
  private closed = false;

  constructor(private readonly redis: Redis, private readonly channel: string, private readonly maxIdleMs: number) {}

  /** Resolve when a list has a message, the wake channel speaks, `dueAt` or the idle cap passes. */
  async wait(req: IdleRequest): Promise<void> {
    if (this.closed) return;
    // Listening before the first wait; a server that is down must not hold the wait past 2 s.
    this.subscribe();
    if (!this.listening) {
      let t: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([this.subscribed, new Promise((r) => (t = setTimeout(r, 2000)))]);
      clearTimeout(t);
    }
    for (const key of req.lists) this.arm(key);
    await this.wake.next(Math.min(this.maxIdleMs, req.dueAt - req.now), req.signal);
  }

  private subscribe(): void {
    if (this.sub) return;
    // After a reconnect a wake-up may have been missed: look again.
    const sub = (this.sub = sidecar(this.redis, this.wake.fire));
    // `[0, ...queues]` announces a push, which the list watchers see already; anything else may be a new due time.
    sub.on("message", (_: string, text: string) => /^\[0[,\]]/.test(text) || this.wake.fire());
    this.subscribed = sub.subscribe(this.channel).then(() => (this.listening = true), () => {});
  }

  private arm(key: string): void {
    if (this.armed.has(key) || this.closed) return;
    let conn = this.conns.get(key);
    // A blocking call cut by a lost connection is not resent and may never settle: re-arm after reconnecting.
    if (!conn) this.conns.set(key, conn = sidecar(this.redis, () => (this.armed.delete(key), this.wake.fire())));
    this.armed.add(key);
    conn.blmove(key, key, "RIGHT", "RIGHT", 0).then(
      (v) => {
        this.armed.delete(key);
        if (v !== null) this.wake.fire();
      },
      () => {
        this.armed.delete(key);
        // Connection lost or closed: let the worker claim again, without spinning on a dead server.
        if (!this.closed) setTimeout(this.wake.fire, 1000);
      },
    );
  }

  /** Wake a pending wait (our own process published). */
  poke(): void {
    this.wake.fire();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake.fire();
    const all = [...this.conns.values(), ...(this.sub ? [this.sub] : [])];
    this.conns.clear();
    this.sub = null;
    for (const c of all) c.disconnect();
  }
}
