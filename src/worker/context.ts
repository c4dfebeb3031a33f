/**
 * The `self` of a bound task: the request being run, `retry()` and `updateState()`.
 * @module
 */
import { MaxRetriesExceededError, Retry, type RetryRequest } from "../errors.ts";
import type { TaskMessage } from "../message.ts";
import type { Embed } from "../types.ts";

/** The request being run (Celery's `self.request`). */
export interface TaskRequest {
  id: string;
  task: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  retries: number;
  eta: string | null;
  expires: string | null;
  group: string | null;
  groupIndex: number | null;
  rootId: string;
  parentId: string | null;
  /** `[hard, soft]` seconds. */
  timelimit: [number | null, number | null];
  ignoreResult: boolean;
  origin: string;
  /** Custom headers sent with `applyAsync({ headers })`. */
  headers: Record<string, unknown>;
  deliveryInfo: { exchange: string; routingKey: string; priority: number; redelivered: boolean };
  callbacks: Embed["callbacks"];
  errbacks: Embed["errbacks"];
  chain: Embed["chain"];
  chord: Embed["chord"];
  /** This worker's name. */
  hostname: string;
}

const KNOWN_HEADERS = new Set([
  "lang", "task", "id", "shadow", "eta", "expires", "group", "group_index", "retries", "timelimit",
  "root_id", "parent_id", "argsrepr", "kwargsrepr", "origin", "ignore_result", "stamped_headers", "stamps",
  "replaced_task_nesting", "redelivered",
]);

/** Headers added with `applyAsync({ headers })` (everything that is not a protocol header). */
export function customHeaders(h: Record<string, unknown>): Record<string, unknown> {
  const custom: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(h)) if (!KNOWN_HEADERS.has(k)) custom[k] = v;
  return custom;
}

/** Build the request view of a message. */
export function requestOf(msg: TaskMessage, hostname: string, redelivered: boolean): TaskRequest {
  const h = msg.headers;
  const custom = customHeaders(h);
  return {
    id: h.id, task: h.task, args: msg.args, kwargs: msg.kwargs, retries: h.retries, eta: h.eta,
    expires: h.expires, group: h.group, groupIndex: h.group_index, rootId: h.root_id, parentId: h.parent_id,
    timelimit: h.timelimit, ignoreResult: h.ignore_result, origin: h.origin, headers: custom,
    deliveryInfo: {
      exchange: msg.properties.delivery_info.exchange, routingKey: msg.properties.delivery_info.routing_key,
      priority: msg.properties.priority, redelivered,
    },
    callbacks: msg.embed.callbacks, errbacks: msg.embed.errbacks, chain: msg.embed.chain, chord: msg.embed.chord,
    hostname,
  };
}

/** Retry settings the context needs from the task. */
export interface RetryDefaults {
  maxRetries: number | null;
  defaultRetryDelay: number;
}

/**
 * The task context handed to bound tasks as `self`.
 * @example
 * app.task("fetch", { bind: true }, async (self, url: string) => {
 *   try { return await (await fetch(url, { signal: self.signal })).text(); }
 *   catch (exc) { self.retry({ exc, countdown: 5 }); }
 * });
 */
export class TaskContext {
  /** The request being run. */
  declare readonly request: TaskRequest;
  /** Aborted at the soft (or hard) time limit, or when the worker stops. */
  declare readonly signal: AbortSignal;
  /** The task's name. */
  declare readonly name: string;
  constructor(private readonly init: {
    request: TaskRequest;
    signal: AbortSignal;
    defaults: RetryDefaults;
    store: (state: string, meta: unknown) => Promise<void>;
    /** The app's clock (retry countdowns count from it). */
    clock?: { now(): number };
  }) {
    this.request = init.request;
    this.signal = init.signal;
    this.name = init.request.task;
  }

  /** Maximum retries of this task (null = unlimited). */
  get maxRetries(): number | null {
    return this.init.defaults.maxRetries;
  }

  /**
   * Retry this task: throws `Retry` (the worker republishes it with `retries + 1`). When the
   * retries are used up it throws `exc` (or `MaxRetriesExceededError`) instead, so the task
   * fails. `countdown` is seconds; default `defaultRetryDelay`.
   */
  retry(opts: RetryRequest = {}): never {
    const max = opts.maxRetries !== undefined ? opts.maxRetries : this.init.defaults.maxRetries;
    if (max != null && this.request.retries >= max) {
      if (opts.exc !== undefined) throw opts.exc;
      throw new MaxRetriesExceededError(
        `Can't retry ${this.name}[${this.request.id}] args:${JSON.stringify(this.request.args)} kwargs:${JSON.stringify(this.request.kwargs)}`,
      );
    }
    const when = opts.eta ?? new Date((this.init.clock ?? Date).now() + 1000 * (opts.countdown ?? this.init.defaults.defaultRetryDelay));
    throw new Retry(when, opts.exc);
  }

  /** Store a custom state (e.g. `"PROGRESS"`) with `meta` as the result. */
  updateState(state: string, meta: unknown = null): Promise<void> {
    return this.init.store(state, meta);
  }
}
