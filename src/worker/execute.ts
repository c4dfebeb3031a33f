/**
 * Execute one message with Celery's semantics (like celery/app/trace.py): revoked and expired
 * checks, ETA, rate limits, validation, time limits, retries, result records and follow-ups.
 * Never throws for a bad message: it ends in a state and a disposition.
 * @module
 */
import type { AppHost } from "../host.ts";
import { validateAgainst } from "../send.ts";
import {
  CeleriacError, Ignore, MessageError, NotRegisteredError, Retry, TaskRevokedError,
} from "../errors.ts";
import { toExceptionInfo, tracebackOf } from "../exceptions.ts";
import { buildMessage, decodeMessage, type TaskMessage } from "../message.ts";
import { FAILURE, RETRY, REVOKED, STARTED, SUCCESS } from "../states.ts";
import type { ErrorMatcher, Task } from "../task.ts";
import { childController } from "../util/abort.ts";
import { backoffCountdown } from "../util/backoff.ts";
import { parseRate, TokenBucket } from "../util/rate-limit.ts";
import { parseInstant } from "../util/time.ts";
import { customHeaders, requestOf, TaskContext } from "./context.ts";
import { onChordPart, onFailure, onSuccess } from "./follow-up.ts";
import { runWithLimits } from "./limits.ts";
import { watchSoftLimit } from "./soft-limit.ts";
import { extendedMeta, refusedResult, resultWrite, type Effects, type Execution } from "./outcome.ts";
import { exceptionRepr, type TaskEvent, type TaskEventListener } from "./events.ts";

/** The parts of a delivery the executor reads. */
export interface Incoming {
  payload: string;
  redelivered: boolean;
  /** From brokers with revocation support; otherwise the backend is asked. */
  revoked?: boolean;
}

/** Runs messages for one worker instance (rate-limit buckets are per instance, as in Celery). */
export class Executor {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly app: AppHost,
    private readonly hostname: string,
    private readonly listener?: TaskEventListener,
    /** Ids this worker was told are revoked (a pidbox `revoke`): checked at start, so a message held for a slot since before the revoke still stops. */
    private readonly revokedHere?: (id: string) => boolean,
  ) {}

  private emit(type: TaskEvent["type"], msg: TaskMessage | null, extra: Partial<TaskEvent> = {}): void {
    if (!this.listener) return;
    try {
      this.listener({
        type, uuid: msg?.headers.id ?? null, name: msg?.headers.task ?? null, hostname: this.hostname,
        timestamp: this.app.clock.now() / 1000, ...(msg ? { retries: msg.headers.retries } : {}), ...extra,
      });
    } catch { /* a failing listener must not fail the task */ }
  }

  /** Execute one delivery, adding results and messages to `effects`. */
  async execute(d: Incoming, effects: Effects, signal?: AbortSignal): Promise<Execution> {
    let msg: TaskMessage;
    try {
      msg = await (this.app.broker.decode ?? decodeMessage)(d.payload);
    } catch (err) {
      const reason = err instanceof MessageError ? err.message.replace(/^\[celeriac\] /, "") : String(err);
      this.emit("task-rejected", null, { reason });
      // The id is readable: store the refusal so the caller's .get() ends (outcome.ts).
      const refused = refusedResult(this.app, d.payload, err);
      if (refused) effects.results.push(refused.write);
      return { taskId: refused?.id ?? null, task: refused?.task ?? null, state: refused ? FAILURE : null, disposition: { kind: "deadLetter", reason } };
    }
    const h = msg.headers;
    const done = (state: string | null, disposition: Execution["disposition"] = { kind: "ack" }): Execution =>
      ({ taskId: h.id, task: h.task, state, disposition });
    const task = this.app.tasks.get(h.task);
    if (!task) {
      const reason = `unknown task ${h.task}`;
      const err = new NotRegisteredError(h.task);
      effects.results.push(this.write(msg, FAILURE, toExceptionInfo(err), tracebackOf(err)));
      this.emit("task-rejected", msg, { reason });
      return done(FAILURE, { kind: "deadLetter", reason });
    }
    this.emit("task-received", msg, {
      ...(h.eta ? { eta: h.eta } : {}), args: h.argsrepr, kwargs: h.kwargsrepr, rootId: h.root_id, parentId: h.parent_id,
      expires: h.expires, queue: msg.properties.delivery_info.routing_key,
    });
    // Revoked here (a pidbox `revoke`), by the broker's flag when it has revocation, else by the backend.
    let revoked = await (this.revokedHere?.(h.id) ||
        (this.app.broker.capabilities.revocation ? d.revoked === true : (await this.app.backend.get(h.id))?.status === REVOKED))
      ? "revoked"
      : "";
    const now = this.app.clock.now();
    if (!revoked && h.expires && parseInstant(h.expires) <= now) revoked = "expired";
    if (revoked) {
      const info = toExceptionInfo(new TaskRevokedError(revoked));
      effects.results.push(this.write(msg, REVOKED, info, null));
      this.emit("task-revoked", msg, { reason: revoked });
      await onChordPart(this.app, msg, REVOKED, info);
      return done(REVOKED);
    }
    // Not before the ETA; then not faster than the rate limit (a token is taken only once due).
    let wait = (h.eta ? parseInstant(h.eta) : 0) - now;
    const rate = task.options.rateLimit;
    if (!(wait > 0) && rate != null) {
      let b = this.buckets.get(task.name);
      if (!b) this.buckets.set(task.name, b = new TokenBucket(parseRate(rate)));
      wait = b.take(now);
    }
    if (wait > 0) return done(null, { kind: "requeue", delayMs: wait });
    try {
      for (const part of ["args", "kwargs"] as const) if (task.options[part]) validateAgainst(h.task, part, task.options[part], msg[part]);
    } catch (err) {
      await this.fail(msg, err, effects, { traceback: null });
      return done(FAILURE, { kind: "deadLetter", reason: (err as Error).message.replace(/^\[celeriac\] /, "") });
    }
    return done(await this.run(task, msg, d.redelivered, effects, signal));
  }

  private async run(task: Task<any, any>, msg: TaskMessage, redelivered: boolean, effects: Effects, signal?: AbortSignal): Promise<string | null> {
    const h = msg.headers;
    const o = task.options;
    const ignore = h.ignore_result || o.ignoreResult === true;
    const [hard, soft] = h.timelimit;
    const limits = { hard: positive(hard ?? o.timeLimit), soft: positive(soft ?? o.softTimeLimit) };
    // Only a bound task sees its signal and only limits abort it: the rest runs without a controller.
    const { ctrl, release } = o.bind || limits.hard || limits.soft ? childController(signal) : { ctrl: null, release: () => {} };
    const softLimit = limits.soft ? watchSoftLimit(ctrl!.signal) : null;
    const store = async (state: string, meta: unknown): Promise<void> => {
      await this.app.backend.set([this.write(msg, state, meta, null)]);
      if (state !== STARTED) this.emit("task-progress", msg, { state, meta });
    };
    const ctx = o.bind
      ? new TaskContext({
        request: requestOf(msg, this.hostname, redelivered), signal: ctrl!.signal, store, clock: this.app.clock,
        defaults: { maxRetries: maxRetriesOf(o), defaultRetryDelay: o.defaultRetryDelay ?? 180 },
      })
      : null;
    // Adapter failures outside the task call (STARTED, follow-ups, chord join) propagate to the
    // worker, which leaves the message unacked for redelivery instead of failing a good task.
    if (o.trackStarted && !ignore) await store(STARTED, { pid: null, hostname: this.hostname });
    // The context first (bound), then args, then kwargs when there are any.
    const args: unknown[] = [...(ctx ? [ctx] : []), ...msg.args, ...(Object.keys(msg.kwargs).length ? [msg.kwargs] : [])];
    const direct = (): Promise<unknown> => Promise.resolve().then(() => (task.fn as (...a: unknown[]) => unknown)(...args));
    const tracing = this.app.tracing; // a consumer span around the call (src/tracing.ts)
    const call = tracing ? (): Promise<unknown> => tracing.execute(msg, direct) : direct;
    let retval: unknown;
    this.emit("task-started", msg);
    const t0 = this.app.clock.now();
    const runtime = (): number => (this.app.clock.now() - t0) / 1000;
    try {
      const running = ctrl ? runWithLimits(call, limits, ctrl, (fn) => (effects.overrun = fn)) : call();
      retval = jsonSafe(await running);
      // Returned normally past the soft limit without seeing it: Celery's FAILURE (src/worker/soft-limit.ts).
      if (softLimit?.ignored()) throw ctrl!.signal.reason;
    } catch (err) {
      if (err instanceof Ignore) return null;
      const took = runtime();
      const retry = err instanceof Retry ? err : this.autoretry(task, msg, err);
      if (retry) {
        effects.publish.push(retried(msg, retry.when.getTime(), this.app.clock.now()));
        const exc = retry.exc ?? retry;
        this.emit("task-retried", msg, { runtime: took, exception: exceptionRepr(exc), eta: retry.when.toISOString() });
        if (!ignore) effects.results.push(this.write(msg, RETRY, toExceptionInfo(exc), tracebackOf(exc)));
        return RETRY;
      }
      await this.fail(msg, err, effects, { runtime: took, traceback: tracebackOf(err) });
      return FAILURE;
    } finally {
      release();
    }
    this.emit("task-succeeded", msg, { runtime: runtime(), result: retval });
    const children = await onSuccess(this.app, msg, retval, effects);
    if (!ignore) effects.results.push(this.write(msg, SUCCESS, retval, null, children));
    await onChordPart(this.app, msg, SUCCESS, retval);
    return SUCCESS;
  }

  // FAILURE: the record, `task-failed` (with `event`), errbacks and the chord join.
  private async fail(msg: TaskMessage, err: unknown, effects: Effects, event: Partial<TaskEvent>): Promise<void> {
    effects.results.push(this.write(msg, FAILURE, toExceptionInfo(err), tracebackOf(err)));
    this.emit("task-failed", msg, { exception: exceptionRepr(err), ...event });
    await onFailure(this.app, msg, effects);
    await onChordPart(this.app, msg, FAILURE, toExceptionInfo(err));
  }

  private autoretry(task: Task<any, any>, msg: TaskMessage, err: unknown): Retry | null {
    const o = task.options;
    // Never autoretried: invalid arguments, a hard time limit, retries used up.
    if (err instanceof CeleriacError && ["validation", "time_limit", "max_retries"].includes(err.code)) return null;
    if (!o.autoretryFor?.some((m) => matches(m, err)) || o.dontAutoretryFor?.some((m) => matches(m, err))) return null;
    const retries = msg.headers.retries;
    const max = o.retryKwargs?.maxRetries !== undefined ? o.retryKwargs.maxRetries : maxRetriesOf(o);
    if (max != null && retries >= max) return null;
    const countdown = o.retryBackoff
      ? backoffCountdown({
        factor: o.retryBackoff === true ? 1 : o.retryBackoff, retries, max: o.retryBackoffMax ?? 600,
        jitter: o.retryJitter ?? true,
      })
      : o.retryKwargs?.countdown ?? o.defaultRetryDelay ?? 180;
    return new Retry(new Date(this.app.clock.now() + countdown * 1000), err);
  }

  private write(msg: TaskMessage, state: string, result: unknown, traceback: string | null, children: string[] = []): ReturnType<typeof resultWrite> {
    return resultWrite(this.app, msg.headers.id, state, result, {
      traceback, children: children.map((c) => [[c, null], null]), parentId: msg.headers.parent_id, groupId: msg.headers.group,
      extended: extendedMeta(this.app, msg, this.hostname),
    });
  }
}

// A time limit in seconds, or null when absent or not positive (0 means none, as in Celery).
function positive(s: number | null | undefined): number | null {
  return (s as number) > 0 ? s! : null;
}

// A task's `maxRetries` (Celery's default 3; null = unlimited).
const maxRetriesOf = (o: Task<any, any>["options"]): number | null => o.maxRetries === undefined ? 3 : o.maxRetries;

function matches(m: ErrorMatcher, err: unknown): boolean {
  try {
    return err instanceof (m as abstract new (...a: never[]) => unknown);
  } catch {
    return (m as (e: unknown) => boolean)(err);
  }
}

// Results must survive JSON; undefined (which JSON.stringify leaves out) becomes null like Python's None.
function jsonSafe(v: unknown): unknown {
  try {
    return JSON.parse(JSON.stringify(v) ?? "null");
  } catch (cause) {
    throw new TypeError(`task result is not JSON-serializable: ${(cause as Error).message}`);
  }
}

/** The same task again with `retries + 1` and an ETA (same id; parent is the attempt that retried). */
function retried(msg: TaskMessage, eta: number, now: number): TaskMessage {
  const h = msg.headers;
  return buildMessage({
    task: h.task, id: h.id, args: msg.args, kwargs: msg.kwargs, queue: msg.properties.delivery_info.routing_key,
    priority: msg.properties.priority, eta, expires: h.expires ? parseInstant(h.expires) : null, retries: h.retries + 1,
    rootId: h.root_id, parentId: h.id, group: h.group, groupIndex: h.group_index, timeLimit: h.timelimit,
    ignoreResult: h.ignore_result, shadow: h.shadow, origin: h.origin, embed: msg.embed, headers: customHeaders(h), now,
  });
}
