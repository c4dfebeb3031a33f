/**
 * The worker's options and defaults: what `app.worker(opts)` and `worker.run(opts)` take,
 * the default concurrency and prefetch, and the adaptive poll delay of `run()`.
 * @module
 */
import type { TaskEventListener } from "./events.ts";
import type { HandlerOptions } from "./http.ts";
import type { MonitorFactory } from "./monitor.ts";

/** Worker options. */
export interface WorkerOptions {
  /** Queues to consume (default: the default queue plus every routed queue). */
  queues?: string[];
  /**
   * `"roundRobin"` (default, kombu's): each claim starts at the next queue, so a busy queue
   * cannot starve the others. `"sorted"`: always in the given order (earlier queues first).
   */
  queueOrder?: "roundRobin" | "sorted";
  /**
   * Tasks run at the same time (default {@link DEFAULT_CONCURRENCY}, 32: async tasks share the
   * event loop; 1 runs them strictly one after another).
   */
  concurrency?: number;
  /**
   * `drain`: messages claimed per round trip. `run`: messages held at most, running or waiting
   * in the worker for a slot (at least `concurrency`; equal to it, none ever waits behind a
   * busy slot). Default `max(4 × concurrency, 10)`.
   */
  prefetch?: number;
  /** Seconds a claimed message stays invisible (default `conf.visibilityTimeout`). */
  visibilityTimeout?: number;
  /** Name in `self.request.hostname` and STARTED records. */
  hostname?: string;
  /** Called with errors the worker survived (broker down in `run`, a failed flush). */
  onError?: (err: unknown) => void;
  /** How `fetch` verifies requests and limits the drains it triggers. */
  http?: HandlerOptions;
  /** Task events (`task-received`, `task-succeeded`, `task-failed`, ...) for logs and metrics. */
  onEvent?: TaskEventListener;
  /**
   * Publish Celery's events on the broker (`broker.events`; CLI `-E`) and, in `run()`, answer
   * `celery inspect`/`control` over the pidbox when the broker can subscribe (docs/monitoring.md).
   * Implies `presence`; needs `monitoring`. Default false.
   */
  events?: boolean;
  /** Record this worker with `backend.recordWorker` (heartbeats in `run()`, batch ends otherwise). Default: `events`. */
  presence?: boolean;
  /** Heartbeat period in s for `run()` (default 2, Celery's); for drains, the expected interval between them (default 60). */
  heartbeatSeconds?: number;
  /** Process id shown in events and `stats`. */
  pid?: number;
  /**
   * The monitoring code that `events` and `presence` need: `import { monitoring } from
   * "celeriac"`. Passed in, so bundles of workers without them do not carry it (the CLI passes it).
   */
  monitoring?: MonitorFactory;
}

/** Options of `run`. */
export interface RunOptions {
  /** Stop: no new claims, running tasks finish (Celery's warm shutdown). */
  signal?: AbortSignal;
  /**
   * After `signal` aborts, give running tasks this many ms, then abort their `self.signal`
   * (Celery's soft shutdown timeout). Default: wait for them however long they take.
   */
  shutdownTimeoutMs?: number;
  /** Overrides the worker's `concurrency`. */
  concurrency?: number;
  /**
   * Brokers without `waitForWork`: the longest wait after an empty claim (default 1000 ms).
   * After work the next empty claim waits 5 ms, each further one twice as long, up to this.
   */
  pollIntervalMs?: number;
}

/**
 * Tasks a worker runs at once by default. Celery defaults to one process per CPU because a
 * Python process runs one task at a time; a JS task that awaits I/O gives the event loop back,
 * so one isolate runs many at once. 32 keeps an I/O-bound worker near its tuned throughput
 * (docs/architecture.md, "Worker defaults and flow"); `concurrency: 1` runs strictly one at a time.
 */
export const DEFAULT_CONCURRENCY = 32;

/**
 * Messages claimed per round trip (`drain`) or held at most (`run`) by default: four per slot
 * (Celery's `worker_prefetch_multiplier` default), at least 10.
 */
export function defaultPrefetch(concurrency: number): number {
  return Math.max(4 * concurrency, 10);
}

/** After the n-th empty claim in a row (brokers without waitForWork): 5 ms, doubling, up to `ceiling`. */
export function pollDelay(n: number, ceiling: number): number {
  return Math.min(ceiling, 5 * 2 ** Math.min(n - 1, 20));
}

