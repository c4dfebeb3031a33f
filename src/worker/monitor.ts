/**
 * A worker's monitoring side: keeps its {@link WorkerState} from task events, publishes
 * Celery's events on the broker (`WorkerOptions.events`), records its presence in the result
 * backend (`ResultBackend.recordWorker`), and in a long-running `run()` sends `worker-online`,
 * a `worker-heartbeat` every `freq` seconds and `worker-offline`, and answers the pidbox.
 *
 * Cost: task events are buffered and go out as one `task.multi` PUBLISH with each flush of
 * the batch (concurrently with its ack, so Upstash's auto-pipelining sends both in one
 * request); a request-triggered worker adds one heartbeat and one presence write at most
 * every `freq / 2` seconds.
 * @module
 */
import type { AppHost } from "../host.ts";
import type { WorkerInfo } from "../ports.ts";
import { celeryTaskEvent, eventEnvelope, routingKeyOf, utcoffset, type CeleryEvent } from "./celery-events.ts";
import type { TaskEvent } from "./events.ts";
import { Pidbox } from "./pidbox.ts";
import { WorkerState } from "./state.ts";

/** celeriac's `sw_ident` / `sw_ver` in events and presence records. */
export const SW_IDENT = "celeriac";
export const SW_VER = "0.1.0";

/** What the monitor is told about its worker. */
export interface MonitorOptions {
  hostname: string;
  /** Publish Celery events on `broker.events`. */
  events: boolean;
  /** Write presence records (`backend.recordWorker`). */
  presence: boolean;
  /** Heartbeat period in s (default 2 in `run()`), or the expected interval between drains (default 60). */
  freq?: number;
  queues: () => string[];
  concurrency: number;
  prefetch: number;
  pid?: number;
  onError: (err: unknown) => void;
}

/** How long a presence record is kept (ms): long past the 2 × freq it counts as online. */
const presenceTtlMs = (freq: number): number => Math.max(4 * freq, 600) * 1000;

/** The monitoring side of one worker instance. */
export class Monitor {
  readonly state: WorkerState;
  /** Lamport clock of the events and pidbox replies. */
  clock = 0;
  private buffer: CeleryEvent[] = [];
  private loop = false;
  private lastBeat = -Infinity;
  private linger: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly app: AppHost, readonly opts: MonitorOptions) {
    this.state = new WorkerState(opts.hostname, app.clock, opts.pid ?? null);
  }

  /** The heartbeat period in seconds. */
  get freq(): number {
    return this.opts.freq || (this.loop ? 2 : 60);
  }

  /** True when task events wait to be published. */
  get buffered(): boolean {
    return this.buffer.length > 0;
  }

  /** True when events go out on the broker. */
  get publishing(): boolean {
    return this.opts.events && !!this.app.broker.events;
  }

  /** The task-event listener: state, and the buffer of events to publish. */
  readonly record = (e: TaskEvent): void => {
    this.state.record(e);
    if (!this.publishing) return;
    this.buffer.push(celeryTaskEvent(e, ++this.clock, this.opts.pid ?? 0));
    // A long-running worker does not hold a long task's `task-started` until its batch settles.
    if (this.loop) this.linger ??= setTimeout(() => void this.flush().catch(this.opts.onError), 100);
  };

  /**
   * Publish the buffered task events (one PUBLISH); a request-triggered worker adds its
   * heartbeat and presence when `freq / 2` passed since the last ones. Called with each
   * batch flush, concurrently with the ack.
   */
  flush(): Promise<unknown> {
    clearTimeout(this.linger);
    this.linger = undefined;
    const out = [];
    const now = this.app.clock.now();
    const beat = !this.loop && (this.opts.events || this.opts.presence) && now - this.lastBeat >= (this.freq * 1000) / 2;
    if (beat) this.lastBeat = now;
    if (this.buffer.length && this.publishing) {
      out.push(this.app.broker.events!.publishEvents([
        eventEnvelope(this.buffer.splice(0), "task.multi", this.opts.hostname),
        ...(beat ? [this.workerEvent("worker-heartbeat")] : []),
      ]));
    } else if (beat && this.publishing) out.push(this.app.broker.events!.publishEvents([this.workerEvent("worker-heartbeat")]));
    if (beat) out.push(this.recordPresence("request"));
    return Promise.all(out);
  }

  /**
   * Loop mode: `worker-online`, heartbeats and presence every `freq` s, the pidbox (when the
   * broker can subscribe). Resolves once listening, to a stop that sends `worker-offline`.
   */
  async start(onShutdown: () => void): Promise<() => Promise<void>> {
    this.loop = true;
    const channel = this.app.broker.events;
    const beat = (type: string): Promise<unknown> => Promise.all([
      this.publishing ? channel!.publishEvents([this.workerEvent(type)]) : null,
      this.opts.presence ? this.recordPresence("loop") : null,
    ]).catch(this.opts.onError);
    let unsubscribe: (() => Promise<void>) | undefined;
    if (this.opts.events && channel?.subscribeControl && channel.reply) {
      const pidbox = new Pidbox(this.app, this, onShutdown);
      unsubscribe = await channel.subscribeControl((payload) => void pidbox.handle(payload).catch(this.opts.onError));
    }
    await beat("worker-online");
    const timer = setInterval(() => void beat("worker-heartbeat"), this.freq * 1000);
    return async () => {
      clearInterval(timer);
      await unsubscribe?.().catch(this.opts.onError);
      await this.flush().catch(this.opts.onError);
      await beat("worker-offline");
    };
  }

  /** Celery's worker event fields (`worker-online`, `-heartbeat`, `-offline`). */
  workerEvent(type: string): { routingKey: string; payload: string } {
    const body: CeleryEvent = {
      type, hostname: this.opts.hostname, timestamp: this.app.clock.now() / 1000, utcoffset: utcoffset(),
      pid: this.opts.pid ?? 0, clock: ++this.clock, freq: this.freq, active: this.state.active.size,
      processed: this.state.processed, loadavg: [0, 0, 0], sw_ident: SW_IDENT, sw_ver: SW_VER, sw_sys: "celeriac",
    };
    return eventEnvelope(body, routingKeyOf(type), this.opts.hostname);
  }

  /** This worker as `recordWorker` keeps it. */
  info(mode: "loop" | "request"): WorkerInfo {
    return {
      hostname: this.opts.hostname, timestamp: this.app.clock.now() / 1000, freq: this.freq, active: this.state.active.size,
      processed: this.state.processed, ...(this.opts.pid != null ? { pid: this.opts.pid } : {}), sw_ident: SW_IDENT, sw_ver: SW_VER,
      sw_sys: "celeriac", queues: this.opts.queues(), mode,
      activeTasks: [...this.state.active.values()].map((t) => ({ id: t.id, name: t.name, args: t.args, kwargs: t.kwargs, time_start: t.time_start ?? 0 })),
    };
  }

  private recordPresence(mode: "loop" | "request"): Promise<void> {
    const backend = this.app.backend;
    if (!this.opts.presence || !backend.recordWorker) return Promise.resolve();
    return backend.recordWorker(this.info(mode), presenceTtlMs(this.freq));
  }
}

/** What `WorkerOptions.monitoring` is handed by its worker. */
export interface MonitorSource {
  hostname: string;
  options: { events?: boolean; presence?: boolean; heartbeatSeconds?: number; concurrency?: number; prefetch?: number; pid?: number };
  queues: () => string[];
  onError: (err: unknown) => void;
}

/** Builds a worker's monitor (`WorkerOptions.monitoring`). */
export type MonitorFactory = (app: AppHost, worker: MonitorSource) => Monitor;

/**
 * The monitoring code for `app.worker({ events: true, monitoring })`: Celery's events on the
 * broker, presence records and the pidbox (docs/monitoring.md).
 */
export const monitoring: MonitorFactory = (app, { hostname, options: o, queues, onError }) => {
  const concurrency = Math.max(1, o.concurrency ?? 1);
  return new Monitor(app, {
    hostname, events: o.events === true, presence: o.presence ?? o.events === true, freq: o.heartbeatSeconds, queues,
    concurrency, prefetch: o.prefetch ?? Math.max(concurrency, 10), pid: o.pid, onError,
  });
};
