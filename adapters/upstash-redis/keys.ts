/**
 * Every Redis key the Upstash adapter touches, built here and nowhere else. The broker keys are
 * kombu's Redis transport layout (docs/wire-format.md §3) and the result keys Celery's
 * Redis backend (§4, §6); `prefix` plays kombu's `global_keyprefix` and is put in front of
 * every key verbatim.
 * @module
 */
import type { DeadLetterLimits } from "../../src/ports.ts";

/**
 * Options of every broker on kombu's Redis layout (`upstashRedisBroker`, `redisBroker`), which
 * share the keys above and the Lua scripts in `./lua/`.
 */
export interface RedisLayoutOptions {
  /** Put in front of every key, like kombu's `global_keyprefix` (default none). */
  prefix?: string;
  /** The broker's own clock in epoch ms (tests); claims and extends use the worker's `now` when given. */
  now?: () => number;
  /**
   * Where messages with a future ETA wait. `"delayed"` (default): in celeriac's delayed ZSET,
   * promoted by celeriac workers' claims, never in `unacked` (no visibility duplicates).
   * `"queue"`: straight on the queue list with their `eta` header, as Celery does, for queues
   * that Python workers consume (they never look at the delayed set); a celeriac worker that
   * claims such a message early moves it to the delayed set.
   */
  eta?: "delayed" | "queue";
  /** Deadline of every call in ms (default 10 000): then a retryable `AdapterError`. */
  timeoutMs?: number;
  /** Bounds of the dead-letter list `_celeriac.dead` (default 10 000 entries, 7 days). */
  deadLetters?: DeadLetterLimits;
}

/** kombu's priority separator (`\x06\x16`) between a queue name and its priority step. */
export const PRIORITY_SEP = "\x06\x16";
/** kombu's Redis priority steps; step 0 is consumed first. */
export const PRIORITY_STEPS: readonly number[] = [0, 3, 6, 9];

/** The step a priority lands in: the largest step ≤ `priority` (1–2 → 0, 7 → 6). */
export function stepOf(priority: number): number {
  let step = 0;
  for (const s of PRIORITY_STEPS) if (priority >= s) step = s;
  return step;
}

/** Broker keys under one prefix. */
export interface BrokerKeys {
  readonly prefix: string;
  /** LIST of one priority step of a queue: `<queue>` or `<queue>\x06\x16<step>`. */
  queue(queue: string, step: number): string;
  /** kombu `unacked` HASH: delivery_tag → `[envelope, exchange, routing_key]`. */
  readonly unacked: string;
  /** kombu `unacked_index` ZSET: delivery_tag → epoch seconds at delivery. */
  readonly unackedIndex: string;
  /** ZSET of messages waiting for their ETA (score: epoch ms), members as `unacked` values. */
  readonly delayed: string;
  /** ZSET of revoked task ids (score: epoch ms until which the id is remembered). */
  readonly revoked: string;
  /** LIST of dead letters, newest first (JSON `{payload, queue, reason, at}`). */
  readonly deadLetters: string;
}

/** Build the broker keys for `prefix`. */
export function brokerKeys(prefix = ""): BrokerKeys {
  return {
    prefix,
    queue: (queue, step) => (step ? `${prefix}${queue}${PRIORITY_SEP}${step}` : `${prefix}${queue}`),
    unacked: `${prefix}unacked`,
    unackedIndex: `${prefix}unacked_index`,
    delayed: `${prefix}_celeriac.delayed`,
    revoked: `${prefix}_celeriac.revoked`,
    deadLetters: `${prefix}_celeriac.dead`,
  };
}

/** Result backend keys under one prefix (Celery's names). */
export interface ResultKeys {
  readonly prefix: string;
  /** `celery-task-meta-<id>`; also the PUBLISH channel of the record. */
  meta(taskId: string): string;
  /** `celery-taskset-meta-<gid>.j`: ZSET of finished chord header members scored by index. */
  chordJoin(groupId: string): string;
  /** `celery-taskset-meta-<gid>.s`: chord size. */
  chordSize(groupId: string): string;
  /** `celery-taskset-meta-<gid>.t`: extra members added while running. */
  chordExtra(groupId: string): string;
  /** `celery-taskset-meta-<gid>.f` (celeriac's): the index of the member that fires the body, or `done`. */
  chordFired(groupId: string): string;
  /** A key chosen by the core (`setIfAbsent`), under the prefix. */
  custom(key: string): string;
  /** celeriac's ZSET of recently written task ids (score: epoch ms), capped at `RECENT_MAX`. */
  readonly recent: string;
}

/** Ids kept in the `recent` index (what `ResultBackend.recent` draws from). */
export const RECENT_MAX = 1000;

/** Build the result keys for `prefix`. */
export function resultKeys(prefix = ""): ResultKeys {
  const taskset = (gid: string): string => `${prefix}celery-taskset-meta-${gid}`;
  return {
    prefix,
    meta: (id) => `${prefix}celery-task-meta-${id}`,
    chordJoin: (gid) => `${taskset(gid)}.j`,
    chordSize: (gid) => `${taskset(gid)}.s`,
    chordExtra: (gid) => `${taskset(gid)}.t`,
    chordFired: (gid) => `${taskset(gid)}.f`,
    custom: (key) => `${prefix}${key}`,
    recent: `${prefix}_celeriac.recent`,
  };
}

/**
 * The Lua twin of `BrokerKeys.queue`, for the one case where a script must derive a key from
 * data: putting a message back on the queue named inside a delayed or `unacked` entry, as
 * kombu's `restore_visible` does (a claimer cannot know those queues in advance).
 */
export const LUA_QUEUE_KEY: string = String.raw`
local function queue_key(prefix, queue, priority)
  local p, step = tonumber(priority) or 0, 0
  for _, s in ipairs({${PRIORITY_STEPS.join(", ")}}) do if p >= s then step = s end end
  if step == 0 then return prefix .. queue end
  return prefix .. queue .. '\6\22' .. step
end
`;
