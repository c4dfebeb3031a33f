/**
 * Result channels: Celery's Redis backend PUBLISHes every stored record on the channel named
 * after its key (`celery-task-meta-<id>`). One subscriber connection per backend serves every
 * `watch`; a channel is subscribed while at least one watcher needs it.
 * @module
 */
import type { Redis } from "ioredis";
import { sidecar, withDeadline } from "./client.ts";
import { guard } from "./errors.ts";

/** Subscriptions to record channels, shared by every `watch` of one backend. */
export class ResultChannels {
  private sub: Redis | null = null;
  private readonly listeners = new Map<string, Set<() => void>>();
  private readonly pending = new Map<string, Promise<unknown>>();

  constructor(private readonly redis: Redis, private readonly timeoutMs: number) {}

  private subscriber(): Redis {
    if (this.sub) return this.sub;
    // Messages published while reconnecting are lost: every watcher reads again.
    const sub = (this.sub = sidecar(this.redis, () => {
      for (const set of this.listeners.values()) for (const fn of set) fn();
    }));
    sub.on("message", (channel: string) => {
      for (const fn of this.listeners.get(channel) ?? []) fn();
    });
    return sub;
  }

  /** Call `onChange` on every message on `channels`; resolves once subscribed, to an unsubscribe. */
  async watch(channels: string[], onChange: () => void): Promise<() => Promise<void>> {
    const fresh = channels.filter((c) => !this.listeners.get(c)?.size);
    for (const c of channels) (this.listeners.get(c) ?? this.listeners.set(c, new Set()).get(c)!).add(onChange);
    const stop = async (): Promise<void> => {
      const idle = channels.filter((c) => {
        const set = this.listeners.get(c);
        set?.delete(onChange);
        if (set?.size) return false;
        this.listeners.delete(c);
        return true;
      });
      if (idle.length && this.sub) await this.sub.unsubscribe(...idle).catch(() => {});
    };
    try {
      if (fresh.length) {
        const p = this.subscriber().subscribe(...fresh);
        for (const c of fresh) this.pending.set(c, p);
        p.finally(() => fresh.forEach((c) => this.pending.get(c) === p && this.pending.delete(c))).catch(() => {});
      }
      const waits = [...new Set(channels.map((c) => this.pending.get(c)).filter(Boolean))];
      await guard("watch", () => withDeadline(Promise.all(waits), this.timeoutMs, "subscribe"));
    } catch (err) {
      await stop();
      throw err;
    }
    return stop;
  }

  close(): void {
    this.listeners.clear();
    this.sub?.disconnect();
    this.sub = null;
  }
}
