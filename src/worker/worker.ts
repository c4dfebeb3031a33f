/**
 * The worker: claims batches from a pull broker and runs them (`drain` for request- or
 * cron-triggered invocations, `run` for a long-running loop), or runs one pushed message
 * (`handle`). Per batch it spends one claim, one publish (if tasks sent follow-ups) and one
 * ack-with-results round trip.
 * @module
 */
import type { AppHost } from "../host.ts";
import { AdapterError, CeleriacError, ConfigError } from "../errors.ts";
import { isPullBroker, type Delivery, type PullBroker } from "../ports.ts";
import { FAILURE, READY_STATES, RETRY, REVOKED, SUCCESS } from "../states.ts";
import { sleep } from "../util/time.ts";
import { BatchRunner } from "./batch.ts";
import { Executor } from "./execute.ts";
import { overran, Overruns, Slots } from "./limits.ts";
import { Effects, type DrainOptions, type DrainReport, type Execution } from "./outcome.ts";
import { handleRequest, peekIds } from "./http.ts";
import type { Monitor } from "./monitor.ts";
import { DEFAULT_CONCURRENCY, defaultPrefetch, pollDelay, type RunOptions, type WorkerOptions } from "./worker-options.ts";

export type { DrainOptions, DrainReport } from "./outcome.ts";
export { DEFAULT_CONCURRENCY, defaultPrefetch, type RunOptions, type WorkerOptions } from "./worker-options.ts";

/** A celeriac worker. Create with `app.worker(opts)`. */
export class Worker {
  declare readonly app: AppHost;
  declare readonly hostname: string;
  private declare readonly opts: WorkerOptions;
  private declare readonly executor: Executor;
  private readonly overruns = new Overruns();
  private rotation = 0;
  /** Errors the worker survived go to `onError` (else the console). */
  private readonly report = (err: unknown): void => {
    if (this.opts.onError) this.opts.onError(err);
    else console.error("[celeriac] worker:", err);
  };
  /** Task state, events and presence of this worker (with `events` or `presence`, built by `monitoring`). */
  monitor: Monitor | undefined;

  constructor(app: AppHost, opts: WorkerOptions = {}) {
    this.app = app;
    this.opts = opts;
    this.hostname = opts.hostname ?? `celeriac@${app.name}`;
    // Task state is kept only when something reads it (events, presence): the default path stays as it was.
    if (opts.events || opts.presence) {
      if (!opts.monitoring) {
        throw new ConfigError('events and presence need app.worker({ monitoring }), with import { monitoring } from "celeriac"');
      }
      this.monitor = opts.monitoring(app, { hostname: this.hostname, options: opts, queues: () => this.queues, onError: this.report });
    }
    const m = this.monitor;
    const onEvent = opts.onEvent;
    this.executor = new Executor(app, this.hostname, m ? (e) => (m.record(e), onEvent?.(e)) : onEvent, m && ((id) => m.state.revoked.has(id)));
  }

  /** The queues this worker consumes. */
  get queues(): string[] {
    if (this.opts.queues?.length) return this.opts.queues;
    const qs = new Set([this.app.conf.defaultQueue]);
    const routes = this.app.conf.taskRoutes;
    if (typeof routes === "object") {
      for (const r of Object.values(routes)) {
        const q = typeof r === "string" ? r : r.queue;
        if (q) qs.add(q);
      }
    }
    for (const t of this.app.tasks.values()) if (t.options.queue) qs.add(t.options.queue);
    return [...qs];
  }

  private get broker(): PullBroker {
    const b = this.app.broker;
    if (!isPullBroker(b)) throw new ConfigError(`broker ${b.name} pushes messages; use worker.handle/fetch instead of drain/run`);
    return b;
  }

  /**
   * Claim and run messages until the queues are empty, `maxTasks` ran or the budget is spent.
   * A task function still running past its hard time limit keeps its slot: drain does not wait
   * for it, hands back what it cannot start and claims nothing while no slot is free.
   */
  async drain(opts: DrainOptions = {}): Promise<DrainReport> {
    const report: DrainReport = { processed: 0, succeeded: 0, failed: 0, retried: 0, revoked: 0, deadLettered: 0, requeued: 0 };
    const deadline = opts.budgetMs != null ? this.app.clock.now() + opts.budgetMs : Infinity;
    const max = opts.maxTasks ?? Infinity;
    const [concurrency, prefetch] = this.sizes();
    const runner = this.runner();
    const more = (taken: number): boolean => taken < max && this.app.clock.now() < deadline && !opts.signal?.aborted;
    const claimMore = (): Promise<Delivery[]> => this.claim(asked = Math.min(prefetch, max - taken));
    let asked = 0;
    // Messages claimed so far (run or being run); the next claim overlaps the batch before it.
    let taken = 0;
    let next: Promise<Delivery[]> | null = more(0) && concurrency > this.overruns.size ? claimMore() : null;
    try {
      while (next) {
        const deliveries = await next;
        next = null;
        if (!deliveries.length) break;
        taken += deliveries.length;
        const lanes = concurrency - this.overruns.size;
        // A full batch means more may wait: claim the next one while this one runs.
        if (deliveries.length === asked && more(taken)) next = claimMore().then((ds) => runner.hold(ds));
        const { executions, published } = await runner.run(deliveries, { lanes: Math.max(1, lanes), deadline: lanes > 0 ? deadline : -Infinity, signal: opts.signal });
        const requeued = tally(report, executions);
        taken -= requeued + deliveries.length - executions.length;
        // Only messages that did not move (ETA not due, rate-limited) remain: stop to avoid spinning.
        if (requeued === executions.length || concurrency - this.overruns.size <= 0 || !more(report.processed)) break;
        // A short batch emptied the queues; another claim only pays off if this batch sent follow-ups.
        if (!next && published) next = claimMore();
      }
    } finally {
      // Claimed ahead but not run (stopped, no slot, spinning): handed back unstarted.
      if (next) await runner.run(await next.catch(() => []), { lanes: 1, deadline: -Infinity });
    }
    if (this.monitor?.buffered) await this.flushMonitor();
    return report;
  }

  /**
   * Run until `signal` aborts, then wait for running tasks. A delivery starts the moment a slot
   * frees (whatever its batch-mates do); the worker holds at most `prefetch` messages and claims
   * again while its tasks run, when a slot would otherwise idle or half of that has run, so
   * claims overlap tasks. A message waits in the worker only while every slot is busy
   * (`prefetch: concurrency` never holds one: Celery's -Ofair with prefetch 1). Stopping hands
   * back what has not started. A task function running past its hard time limit keeps its slot
   * until it settles. Survives broker outages (reported to `onError`).
   */
  async run(opts: RunOptions = {}): Promise<void> {
    let signal = opts.signal;
    // Events/presence: worker-online, heartbeats, the pidbox (whose `shutdown` stops this loop).
    let stopMonitor: (() => Promise<void>) | void = undefined;
    if (this.monitor) {
      const shutdown = new AbortController();
      signal = signal ? AbortSignal.any([signal, shutdown.signal]) : shutdown.signal;
      stopMonitor = await this.monitor.start(() => shutdown.abort()).catch(this.report);
    }
    const [concurrency, prefetch] = this.sizes(opts.concurrency);
    const limit = Math.max(concurrency, prefetch);
    const ceiling = opts.pollIntervalMs ?? 1000;
    const running = new Set<Promise<unknown>>();
    // Tasks get their own signal: stopping the loop must not cut short the tasks it is running.
    const tasks = new AbortController();
    const slots = new Slots(() => concurrency - this.overruns.size);
    const runner = this.runner();
    // One wake-up for a settled task, a settled overrun or the stop signal.
    let wakeUp = (): void => {};
    const wake = (): void => wakeUp();
    // Stopping does not wait for a claim in flight: what it took comes back by visibility timeout.
    let unclaim = (_: Delivery[]): void => {};
    const stopped = new Promise<Delivery[]>((resolve) => (unclaim = resolve));
    let grace: ReturnType<typeof setTimeout> | undefined;
    const onStop = (): void => {
      slots.close();
      if (opts.shutdownTimeoutMs != null) grace = setTimeout(() => tasks.abort(signal?.reason), opts.shutdownTimeoutMs);
      wake();
      unclaim([]);
    };
    signal?.addEventListener("abort", onStop, { once: true });
    const unsubscribe = this.overruns.onSettled(() => (slots.pump(), wake()));
    // Claimed and not settled yet: running, or waiting in this worker for a slot.
    let held = 0;
    let failures = 0;
    let empty = 0;
    while (!signal?.aborted) {
      const slotsLeft = concurrency - this.overruns.size;
      // Claim when a slot would otherwise idle, or once half of what may be held has run.
      if (slotsLeft <= 0 || held >= limit || (held >= slotsLeft && limit - held < limit / 2)) {
        await new Promise<void>((resolve) => (wakeUp = resolve));
        continue;
      }
      // Tasks in flight settle in bursts: let this turn's finish first, for one larger claim.
      if (held > 0) await sleep(0);
      try {
        const deliveries = await Promise.race([this.claim(limit - held), stopped]);
        failures = 0;
        if (!deliveries.length) {
          if (!signal?.aborted) await this.idle(pollDelay(++empty, ceiling), signal).catch(() => {});
          continue;
        }
        empty = 0;
        held += deliveries.length;
        const batch: Promise<unknown> = runner.run(deliveries, {
          lanes: deliveries.length, deadline: Infinity, signal: tasks.signal, slots, onSettled: () => (held--, wake()),
        }).catch(this.report).finally(() => running.delete(batch));
        running.add(batch);
      } catch (err) {
        this.report(err);
        await sleep(Math.min(30_000, ceiling * 2 ** Math.min(++failures, 5)), signal).catch(() => {});
      }
    }
    await Promise.all(running);
    clearTimeout(grace);
    unsubscribe();
    signal?.removeEventListener("abort", onStop);
    await stopMonitor?.();
  }

  /**
   * Run one message delivered by a push broker (its body is the Celery envelope). Results and
   * follow-up messages are stored and sent before this resolves; the caller answers the push
   * request from the returned execution (`disposition`).
   */
  async handle(payload: string, opts: { redelivered?: boolean; signal?: AbortSignal } = {}): Promise<Execution> {
    // A pushed id that already finished is never run again (replays, redeliveries after a lost answer).
    const ids = peekIds(payload);
    const stored = ids.taskId ? (await this.app.backend.get(ids.taskId))?.status : null;
    if (stored && stored !== REVOKED && READY_STATES.has(stored)) return { ...ids, state: stored, disposition: { kind: "ack" } };
    const effects = new Effects();
    const exec = await this.executor.execute({ payload, redelivered: opts.redelivered ?? false, revoked: stored === REVOKED }, effects, opts.signal);
    if (effects.overrun) this.report(overran(exec));
    await this.app.publish(effects.publish);
    await Promise.all([effects.results.length ? this.app.backend.set(effects.results) : null, this.flushMonitor()]);
    return exec;
  }

  /**
   * A web-standard handler: `POST` a Celery envelope to run it (push brokers), or an empty
   * `POST` to drain a pull broker. See `handleRequest` for the status codes.
   * @example
   * honoApp.post("/tasks", (c) => app.worker({ http: { verify: qstashVerifier(env) } }).fetch(c.req.raw));
   */
  fetch(request: Request): Promise<Response> {
    return handleRequest(this, request, this.opts.http);
  }

  private runner(): BatchRunner {
    return new BatchRunner({
      app: this.app, broker: this.broker, executor: this.executor, overruns: this.overruns, visibilityMs: this.visibilityMs,
      report: this.report, flushMonitor: () => this.flushMonitor(),
    });
  }

  // Concurrency (at least 1) and prefetch.
  private sizes(concurrency = this.opts.concurrency): [number, number] {
    const c = Math.max(1, concurrency ?? DEFAULT_CONCURRENCY);
    return [c, this.opts.prefetch ?? defaultPrefetch(c)];
  }

  private get visibilityMs(): number {
    return (this.opts.visibilityTimeout ?? this.app.conf.visibilityTimeout) * 1000;
  }

  private flushMonitor(): Promise<unknown> | undefined {
    return this.monitor?.flush().catch(this.report);
  }

  /** After an empty claim: the broker's blocking wait when it has one, else sleep `poll` ms. */
  private idle(poll: number, signal?: AbortSignal): Promise<void> {
    const b = this.broker;
    return b.waitForWork ? b.waitForWork(this.queues, { visibilityMs: this.visibilityMs, signal }) : sleep(poll, signal);
  }

  private async claim(max: number): Promise<Delivery[]> {
    let qs = this.queues;
    // Round robin: each claim starts at the next queue.
    if (this.opts.queueOrder !== "sorted" && qs.length > 1) {
      const start = this.rotation++ % qs.length;
      qs = [...qs.slice(start), ...qs.slice(0, start)];
    }
    try {
      return await this.broker.claim(qs, { max, visibilityMs: this.visibilityMs, now: this.app.clock.now() });
    } catch (cause) {
      if (cause instanceof CeleriacError) throw cause;
      throw new AdapterError(this.app.broker.name, `claim failed: ${(cause as Error)?.message ?? cause}`, { cause });
    }
  }
}

const COUNTED: Record<string, keyof DrainReport> = { [SUCCESS]: "succeeded", [FAILURE]: "failed", [RETRY]: "retried", [REVOKED]: "revoked" };

// Count a batch's executions into the report; returns how many were requeued (did not run).
function tally(r: DrainReport, execs: Execution[]): number {
  let requeued = 0;
  for (const e of execs) {
    const kind = e.disposition.kind;
    if (kind === "requeue") {
      requeued++;
      continue;
    }
    r.processed++;
    if (kind === "deadLetter") r.deadLettered++;
    const counter = COUNTED[e.state!];
    if (counter) r[counter]++;
  }
  r.requeued += requeued;
  return requeued;
}
