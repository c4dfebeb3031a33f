/**
 * The planner: a signature tree (chain, group, chord, map, starmap, chunks, nested any way)
 * becomes the frozen task messages to publish now plus the chord sizes to record first.
 * `plan` freezes the tree (freeze.ts), then emits one message per task that runs now, without
 * any I/O; `sendPlan` records the chord sizes, then publishes every message in one broker call.
 *
 * Parts that run later travel inside the messages as frozen dicts, exactly where Celery puts
 * them: the rest of a chain in `embed.chain` (next step last), a chord body in `embed.chord`
 * of every header member, membership of a deferred chord member in its `options`
 * (`group_id`, `group_index`, `chord`).
 * @module
 */
import { ConfigError } from "../errors.ts";
import type { AppHost } from "../host.ts";
import type { TaskMessage } from "../message.ts";
import type { AsyncResult } from "../result.ts";
import type { SignatureDict, SignatureOptions } from "../types.ts";
import { chainTasks, chordDict, chordParts, chunksToGroup, groupTasks } from "./dicts.ts";
import { freeze, handleOf } from "./freeze.ts";
import { applyToOptions, mergeArgs, optionsToApply, toDict, type ApplyOptions, type SignatureLike } from "./signature.ts";

/** What one send produces: chord sizes to store, then messages to publish in one call. */
export class Plan {
  readonly messages: TaskMessage[] = [];
  readonly chordSizes: { groupId: string; size: number }[] = [];
}

/**
 * Add the messages of `sig` (called with `args` prepended and `opts`) to `into` and return
 * the handle on its result. `opts.taskId` fixes the id of that result.
 */
export function plan(app: AppHost, sig: SignatureLike, args: unknown[], opts: ApplyOptions, into: Plan): AsyncResult {
  const { taskId, ...rest } = opts;
  const dict = toDict(sig);
  // An explicit task id replaces a single task's frozen one (Celery's apply_async(task_id=)).
  if (taskId && !["chain", "group", "chord", "chunks"].includes(dict.subtask_type ?? "")) dict.options = { ...dict.options, task_id: taskId };
  const frozen = freeze(dict, taskId);
  emit({ app, plan: into, rootId: opts.rootId }, frozen, args, rest);
  return handleOf(frozen, app);
}

/**
 * Record the size of every chord of the plan (Celery `celery-taskset-meta-<gid>.s`), then
 * publish its messages in one call. The sizes go first, so the member that completes a chord
 * always finds its size.
 */
export async function sendPlan(app: AppHost, p: Plan): Promise<void> {
  await storeChordSizes(app, p);
  await app.publish(p.messages);
}

/** Record the chord sizes of a plan (before its messages are published, wherever they go). */
export async function storeChordSizes(app: AppHost, p: Plan): Promise<void> {
  const ttl = (app.conf.resultExpires || 86_400) * 1000;
  await Promise.all(p.chordSizes.map((c) => app.backend.chordSize(c.groupId, c.size, ttl)));
}

interface Ctx {
  app: AppHost;
  plan: Plan;
  /** The canvas' root id: the caller's, else the id of the first task message it sends. */
  rootId: string | null | undefined;
}

function emit(ctx: Ctx, s: SignatureDict, args: unknown[], opts: ApplyOptions): void {
  switch (s.subtask_type) {
    case "chain":
      return emitChain(ctx, s, args, opts);
    case "group":
      return emitGroup(ctx, s, args, opts);
    case "chord":
      return emitChord(ctx, s, args, opts);
    case null:
    case "xmap":
    case "xstarmap":
      return emitTask(ctx, s, args, opts);
    default:
      throw new ConfigError(`unknown canvas type ${JSON.stringify(s.subtask_type)} (${s.task})`);
  }
}

/** A node's stored options under the caller's: the caller wins, callbacks and chains add up. */
export function mergeOptions(stored: SignatureOptions, opts: ApplyOptions): ApplyOptions {
  const base = optionsToApply(stored);
  const out: ApplyOptions = { ...base };
  for (const [k, v] of Object.entries(opts)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  for (const k of ["link", "linkError"] as const) {
    const [a, b] = [base[k], opts[k]];
    out[k] = a || b ? [a ?? [], b ?? []].flat().map(toDict) : undefined;
  }
  // Reversed lists (next step last): the node's own continuation runs before the caller's.
  const chain = [...(opts.chain ?? []), ...(base.chain ?? [])];
  out.chain = chain.length ? chain : undefined;
  return out;
}

function omit(o: ApplyOptions, keys: (keyof ApplyOptions)[]): ApplyOptions {
  const out = { ...o };
  for (const k of keys) delete out[k];
  return out;
}

function emitTask(ctx: Ctx, s: SignatureDict, args: unknown[], opts: ApplyOptions): void {
  const o = mergeOptions(s.options, opts);
  o.kwargs = { ...s.kwargs, ...opts.kwargs };
  ctx.rootId ??= o.taskId;
  o.rootId ??= ctx.rootId;
  // celery.map/starmap are routed like the task they run (Celery's `route_name`).
  const inner = s.kwargs.task as SignatureDict | undefined;
  const name = inner?.task;
  const app = ctx.app;
  if (s.subtask_type) o.queue ||= name ? inner.options?.queue ?? app.tasks.get(name)?.options.queue ?? app.route(name).queue : undefined;
  ctx.plan.messages.push(app.buildMessage(s.task, mergeArgs(s, args), o));
}

function emitGroup(ctx: Ctx, s: SignatureDict, args: unknown[], opts: ApplyOptions): void {
  const o = mergeOptions(s.options, opts);
  if (o.chain?.length) {
    // A group with steps after it is a chord whose body is the next step (Celery's upgrade).
    const chain = [...o.chain];
    const body = chain.pop()!;
    const chord = freeze(chordDict(s, body));
    return emitChord(ctx, chord, args, { ...o, chain });
  }
  const inherited = omit(o, ["taskId", "chain"]);
  let index = o.groupIndex ?? 0;
  for (const member of groupTasks(s)) {
    emit(ctx, member, args, { ...inherited, group: o.group ?? s.options.task_id, groupIndex: index });
    index += descend(member);
  }
}

function emitChain(ctx: Ctx, s: SignatureDict, args: unknown[], opts: ApplyOptions): void {
  const o = mergeOptions(s.options, opts);
  const steps = chainTasks(s).map((t) => ({ ...t, options: { ...t.options } }));
  if (!steps.length) throw new ConfigError("cannot send an empty chain");
  // The chain's place in an outer group/chord and its callbacks go to its last step.
  steps.push(withOptions(steps.pop()!, { group: o.group, groupIndex: o.groupIndex, chord: o.chord, link: o.link }));
  // mergeOptions made them fresh dicts already.
  const errbacks = (o.linkError ?? []) as SignatureDict[];
  if (errbacks.length) for (const step of steps) step.options.link_error = [...(step.options.link_error ?? []), ...errbacks];
  const [first, ...rest] = steps;
  const firstOpts = omit(o, ["taskId", "group", "groupIndex", "chord", "link", "linkError"]);
  emit(ctx, first, args, { ...firstOpts, chain: [...(o.chain ?? []), ...rest.reverse()] });
}

function emitChord(ctx: Ctx, s: SignatureDict, args: unknown[], opts: ApplyOptions): void {
  const o = mergeOptions(s.options, opts);
  const { header, body } = chordParts(s);
  const gid = header.options.task_id!;
  // The body gets the chord's options (queue, link, link_error, the rest of a chain, its own
  // place in an outer group/chord); countdown/eta delay the header only (Celery 5.5+).
  const fullBody = withOptions(body, omit(o, ["taskId", "kwargs", "countdown", "eta", "parentId", "rootId"]));
  const forHeader = omit(o, ["taskId", "chain", "link", "linkError"]);
  forHeader.kwargs = { ...(s.kwargs.kwargs as Record<string, unknown> | undefined), ...o.kwargs };
  const size = descend(header);
  if (size === 0) return emit(ctx, fullBody, [[]], { parentId: o.parentId, rootId: o.rootId });
  ctx.plan.chordSizes.push({ groupId: gid, size });
  emitGroup(ctx, header, mergeArgs(s, args), { ...forHeader, chord: fullBody, group: gid, groupIndex: 0 });
}

/** A deferred node with `opts` merged into its stored options (as `mergeOptions`), to send later. */
function withOptions(s: SignatureDict, opts: ApplyOptions): SignatureDict {
  return { ...s, options: { ...s.options, ...applyToOptions(mergeOptions(s.options, opts)) } };
}

/**
 * How many chord join entries a header member produces (Celery `chord._descend`): one per
 * task, every member of a group, the last non-empty step of a chain, the body of a chord.
 */
export function descend(s: SignatureDict): number {
  switch (s.subtask_type) {
    case "group":
      return groupTasks(s).reduce((n, t) => n + descend(t), 0);
    case "chain":
      return chainTasks(s).map(descend).reverse().find((n) => n > 0) ?? 0;
    case "chord":
      return descend(chordParts(s).body);
    case "chunks":
      return descend(chunksToGroup(s));
    default:
      return 1;
  }
}
