/**
 * The app as its parts see it: what the worker, beat and the canvas planner need from an app
 * (send and publish, routing, the task registry, configuration, the backend and the clock).
 * It sits below all of them; src/app.ts implements it and is the only module that composes
 * the parts, so no part imports the app (see docs/architecture.md).
 * @module
 */
import type { BeatSchedule } from "./beat/entries.ts";
import type { ApplyOptions } from "./canvas/options.ts";
import type { TaskMessage } from "./message.ts";
import type { Broker, ResultBackend } from "./ports.ts";
import type { AsyncResult, ResultHost } from "./result.ts";
import type { Task, TaskHost } from "./task.ts";
import type { Tracing } from "./tracing.ts";

/** Where the core reads the time: epoch milliseconds. */
export interface Clock {
  now(): number;
}

/** The clock of an app created without one: `Date.now`. */
export const systemClock: Clock = { now: () => Date.now() };

/** A route: a queue name or `{ queue, priority }`. */
export type Route = string | { queue?: string; priority?: number };
/** `taskRoutes`: task name or glob (`"media.*"`) → route, or a function returning one. */
export type TaskRoutes = Record<string, Route> | ((task: string) => Route | null | undefined);

/** App configuration, with Celery's setting names in camelCase. Durations are seconds. */
export interface CeleriacConf {
  /** Queue used when no route matches (Celery `task_default_queue`, "celery"). */
  defaultQueue: string;
  taskRoutes: TaskRoutes;
  /** Seconds to keep results (default 86400; null or 0 = forever). */
  resultExpires: number | null;
  /** Seconds a claimed message stays invisible before it is handed out again (default 3600). */
  visibilityTimeout: number;
  /** Seconds a revoked id is remembered (default 86400). */
  revokedExpires: number;
  /** Written to `headers.origin` of messages sent by this app. */
  origin: string;
  /** Periodic entries sent by `app.beat.tick()` (see docs/beat.md). */
  beatSchedule?: BeatSchedule;
  /** IANA zone crontab entries are read in (default "UTC"). */
  timezone?: string;
  /** Seconds; beat skips slots older than this (default: min(period, 1 h)). */
  beatStartingDeadline?: number | null;
  /**
   * Celery's `result_extended`: records also carry `name`, `args`, `kwargs`, `worker`,
   * `retries` and `queue` (what the dashboard shows). Default false, as in Celery.
   */
  resultExtended?: boolean;
  /** Extra settings read by other parts. */
  [setting: string]: unknown;
}

/** What the worker, beat and the canvas use of an app (a `Celeriac` is one). */
export interface AppHost extends TaskHost, ResultHost {
  readonly name: string;
  readonly broker: Broker;
  readonly backend: ResultBackend;
  readonly conf: CeleriacConf;
  /** Every time the core reads (ETA, expiry, due checks, rate limits, result dates, beat). */
  readonly clock: Clock;
  /** Registered tasks by name. */
  readonly tasks: ReadonlyMap<string, Task<any, any>>;
  /** The route of a task name (`conf.taskRoutes`). */
  route(name: string): { queue?: string; priority?: number };
  /** Build (and validate) a protocol v2 message without sending it. */
  buildMessage(name: string, args: unknown[], opts?: ApplyOptions): TaskMessage;
  /** Publish built messages in one broker round trip. */
  publish(messages: TaskMessage[]): Promise<void>;
  /** Result TTL in ms (null = forever). */
  resultTtlMs(): number | null;
  /** Spans around publish and execute (src/tracing.ts); none by default. */
  readonly tracing?: Tracing;
  sendTask(name: string, args?: unknown[], opts?: ApplyOptions): Promise<AsyncResult>;
}
