/**
 * Celery's monitoring channels in process (`memoryBroker({ events: memoryEvents() })`): events and pidbox
 * broadcasts go to the listeners of this broker, replies to the reply sinks of `broadcast`.
 * Lets the core's events and pidbox be tested without a server.
 * @module
 */
import type { EventChannel, FanoutMessage } from "../../src/ports.ts";

/** The in-process event channel of one memory broker. */
export class MemoryEvents implements EventChannel {
  private readonly eventListeners = new Set<(e: FanoutMessage) => void>();
  private readonly controlListeners = new Set<(payload: string) => void>();
  /** The reply sink of each pending `broadcast`, by its oid. */
  private readonly replies = new Map<string, (payload: string) => void>();
  /** Every event published, in order (tests read it). */
  readonly published: FanoutMessage[] = [];

  async publishEvents(events: FanoutMessage[]): Promise<void> {
    for (const e of events) {
      this.published.push(e);
      for (const fn of this.eventListeners) fn(e);
    }
  }

  async subscribeEvents(onEvent: (event: FanoutMessage) => void): Promise<() => Promise<void>> {
    return listen(this.eventListeners, onEvent);
  }

  async subscribeControl(onMessage: (payload: string) => void): Promise<() => Promise<void>> {
    return listen(this.controlListeners, onMessage);
  }

  /** Replies go to the sink of the broadcast whose oid is `routingKey` (none: dropped, as kombu does). */
  async reply(_exchange: string, routingKey: string, payload: string): Promise<void> {
    this.replies.get(routingKey)?.(payload);
  }

  async broadcast(payload: string, oid: string, timeoutMs: number, limit = Infinity): Promise<string[]> {
    const sink: string[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
        this.replies.set(oid, (reply) => {
          if (sink.push(reply) >= limit) resolve();
        });
        for (const fn of this.controlListeners) fn(payload);
      });
      return sink;
    } finally {
      clearTimeout(timer);
      this.replies.delete(oid);
    }
  }
}

/**
 * Create an in-process event channel, for `memoryBroker({ events: memoryEvents() })`: Celery's
 * events, pidbox broadcasts and replies between the workers and clients of that broker.
 */
export function memoryEvents(): MemoryEvents {
  return new MemoryEvents();
}

/** Add `fn` to `listeners`; returns the function that removes it. */
function listen<T>(listeners: Set<T>, fn: T): () => Promise<void> {
  listeners.add(fn);
  return async () => void listeners.delete(fn);
}
