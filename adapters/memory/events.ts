/**
 * Celery's monitoring channels in process (`MemoryBroker.events`): events and pidbox
 * broadcasts go to the listeners of this broker, replies to the reply sinks of `broadcast`.
 * Lets the core's events and pidbox be tested without a server.
 * @module
 */
import type { EventChannel, FanoutMessage } from "../../src/ports.ts";

/** The in-process event channel of one memory broker. */
export class MemoryEvents implements EventChannel {
  private readonly eventListeners = new Set<(e: FanoutMessage) => void>();
  private readonly controlListeners = new Set<(payload: string) => void>();
  private readonly replies = new Map<string, string[]>();
  /** Every event published, in order (tests read it). */
  readonly published: FanoutMessage[] = [];

  publishEvents(events: FanoutMessage[]): Promise<void> {
    for (const e of events) {
      this.published.push(e);
      for (const fn of this.eventListeners) fn(e);
    }
    return Promise.resolve();
  }

  subscribeEvents(onEvent: (event: FanoutMessage) => void): Promise<() => Promise<void>> {
    this.eventListeners.add(onEvent);
    return Promise.resolve(async () => void this.eventListeners.delete(onEvent));
  }

  subscribeControl(onMessage: (payload: string) => void): Promise<() => Promise<void>> {
    this.controlListeners.add(onMessage);
    return Promise.resolve(async () => void this.controlListeners.delete(onMessage));
  }

  /** Replies go to the sink of the broadcast whose oid is `routingKey` (none: dropped, as kombu does). */
  reply(_exchange: string, routingKey: string, payload: string): Promise<void> {
    this.replies.get(routingKey)?.push(payload);
    return Promise.resolve();
  }

  async broadcast(payload: string, oid: string, timeoutMs: number, limit = Infinity): Promise<string[]> {
    const sink: string[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      sink.push = (...items: string[]): number => {
        const n = Array.prototype.push.apply(sink, items);
        if (n >= limit) resolve();
        return n;
      };
    });
    this.replies.set(oid, sink);
    try {
      for (const fn of this.controlListeners) fn(payload);
      await done;
      return [...sink];
    } finally {
      clearTimeout(timer);
      this.replies.delete(oid);
    }
  }
}
