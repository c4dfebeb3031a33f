/**
 * Sending, as pure functions the app delegates to: calling options → a validated protocol v2
 * message (route, priority, ETA and expiry read from the app's clock), route matching, and the
 * schema check the worker repeats at run time.
 * @module
 */
import type { ApplyOptions } from "./canvas/options.ts";
import { toDicts } from "./canvas/signature.ts";
import { ConfigError, ValidationError } from "./errors.ts";
import type { AppHost, Route } from "./host.ts";
import { buildMessage, type TaskMessage } from "./message.ts";
import { validateSchema } from "./schema.ts";
import type { TaskOptions } from "./task.ts";
import { assertJson } from "./util/json-check.ts";

/** The parts of an app a message is built from. */
export type SendHost = Pick<AppHost, "tasks" | "conf" | "clock">;

/** Build (and validate) a protocol v2 message for task `name` without sending it. */
export function taskMessage(host: SendHost, name: string, args: unknown[], opts: ApplyOptions = {}): TaskMessage {
  if (typeof name !== "string" || !name.trim()) throw new ConfigError(`a task name is required, got ${JSON.stringify(name)}`);
  const o = host.tasks.get(name)?.options ?? {};
  const kwargs = opts.kwargs ?? {};
  if (!Array.isArray(args)) throw new ValidationError(name, `args must be a list, got ${typeof args}`);
  assertJson(name, args, "args");
  assertJson(name, kwargs, "kwargs");
  if (o.args) validateAgainst(name, "args", o.args, args);
  if (o.kwargs) validateAgainst(name, "kwargs", o.kwargs, kwargs);
  const route = routeOf(host.conf.taskRoutes, name);
  const priority = opts.priority ?? o.priority ?? route.priority ?? 0;
  if (!Number.isInteger(priority) || priority < 0 || priority > 9) throw new ConfigError(`priority must be an integer 0–9, got ${priority}`);
  const now = host.clock.now();
  const eta = opts.eta != null ? toMs(opts.eta) : opts.countdown != null ? now + opts.countdown * 1000 : null;
  const exp = opts.expires ?? o.expires;
  const expires = exp == null ? null : typeof exp === "number" ? now + exp * 1000 : toMs(exp);
  // retries, rootId, parentId, group, groupIndex, shadow and headers pass through as given.
  return buildMessage({
    ...opts, task: name, id: opts.taskId, args, kwargs, queue: opts.queue ?? o.queue ?? route.queue ?? host.conf.defaultQueue,
    priority, eta, expires,
    timeLimit: [opts.timeLimit ?? o.timeLimit ?? null, opts.softTimeLimit ?? o.softTimeLimit ?? null],
    ignoreResult: opts.ignoreResult ?? o.ignoreResult, origin: host.conf.origin, now,
    embed: {
      callbacks: opts.link ? toDicts(opts.link) : null, errbacks: opts.linkError ? toDicts(opts.linkError) : null,
      chain: opts.chain?.length ? opts.chain : null, chord: opts.chord ?? null,
    },
  });
}

/** The route of a task name under `conf.taskRoutes` (exact name first, then globs in order). */
export function routeOf(routes: AppHost["conf"]["taskRoutes"], name: string): { queue?: string; priority?: number } {
  const r = typeof routes === "function" ? routes(name) : matchRoute(routes, name);
  return typeof r === "string" ? { queue: r } : r ?? {};
}

function matchRoute(routes: Record<string, Route>, name: string): Route | undefined {
  if (name in routes) return routes[name];
  for (const [pattern, route] of Object.entries(routes)) {
    if (!pattern.includes("*")) continue;
    const re = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replaceAll("*", ".*")}$`);
    if (re.test(name)) return route;
  }
  return undefined;
}

function toMs(v: Date | string | number): number {
  const ms = typeof v === "number" ? v : new Date(v).getTime();
  if (Number.isNaN(ms)) throw new ConfigError(`invalid instant ${String(v)}`);
  return ms;
}

/** Check args or kwargs against a task's schema (any Standard Schema); throws `ValidationError` naming each path. */
export const validateAgainst: (task: string, what: string, schema: NonNullable<TaskOptions["args"]>, value: unknown) => void = validateSchema;
