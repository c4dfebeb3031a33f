/**
 * Beat: the entries of `app.conf.beatSchedule` sent exactly once per slot, from any trigger
 * (Cloudflare Cron Triggers, Deno cron, a Node or Bun timer), by any number of concurrent
 * callers and processes, without local state.
 *
 * A tick computes each entry's latest slot at or before `now`, claims it with
 * `backend.setIfAbsent("celeriac-beat:<entry>:<slotMs>")`, and only the caller that set the
 * key sends the task. Missed slots are not caught up: only the latest is sent (Celery's
 * behaviour), and only if it is not older than the entry's starting deadline. See docs/beat.md.
 * @module
 */
import type { AppHost } from "../host.ts";
import { AdapterError, CeleriacError, ConfigError } from "../errors.ts";
import type { TaskMessage } from "../message.ts";
import { sleep } from "../util/time.ts";
import { readBeatConfig } from "./entries.ts";
import { beatKey, uuid5 } from "./slot-id.ts";

/** A task a tick sent. */
export interface BeatSent {
  entry: string;
  task: string;
  /** Deterministic: the same entry and slot always give the same id. */
  taskId: string;
  slot: Date;
}

/**
 * Why a tick did not send an entry: `claimed` (another caller, or an earlier tick, owns this
 * slot), `late` (the slot is older than the starting deadline), `none` (no slot yet).
 */
export type BeatSkipReason = "claimed" | "late" | "none";

/** An entry a tick did not send. */
export interface BeatSkipped {
  entry: string;
  slot: Date | null;
  reason: BeatSkipReason;
}

/** What one tick did. */
export interface TickReport {
  now: Date;
  sent: BeatSent[];
  skipped: BeatSkipped[];
}

/** Options of `beat.start`. */
export interface BeatStartOptions {
  /** Stop ticking when aborted. */
  signal?: AbortSignal;
  /** Longest wait between ticks in ms (default 60 000); beat also wakes at every next slot. */
  intervalMs?: number;
  /** Called with errors of a tick (default: `console.error`); the loop goes on. */
  onError?: (err: unknown) => void;
  /** Called with the report of every tick. */
  onTick?: (report: TickReport) => void;
}

const HOUR_MS = 3_600_000;
/** Ten years of 366 days: the TTL of a claim whose slot stays visible forever. */
const MAX_TTL_MS = 316_224_000_000;

/** A slot to claim: what the report says once it is sent, its claim key and TTL, its message. */
type Due = [sent: BeatSent, key: string, ttlMs: number, message: TaskMessage];

/**
 * The scheduler bound to an app (`app.beat`).
 * @example
 * app.conf.beatSchedule = { poll: { task: "tasks.poll", schedule: every("30s"), args: [1] } };
 * await app.beat.tick(new Date()); // from any trigger, as often and as concurrently as you like
 */
export class Beat {
  /** Slots this instance already claimed or saw claimed, by entry: saves a round trip per tick. */
  private readonly seen = new Map<string, number>();
  /** The earliest next slot the latest tick saw (epoch ms; Infinity when none): `start` wakes then. */
  private nextSlot = Infinity;

  constructor(readonly app: AppHost) {}

  /**
   * Send every entry whose latest slot at or before `now` has not been sent yet. Validates
   * the whole schedule first (throws `ConfigError` and sends nothing when it is invalid).
   * Spends one claim per due entry (in parallel) and one publish for all winners.
   */
  async tick(now: Date | number = this.app.clock.now()): Promise<TickReport> {
    const nowMs = Number(now);
    this.nextSlot = Infinity;
    if (!Number.isFinite(nowMs)) throw new ConfigError(`beat.tick: invalid instant ${now}`);
    const { entries, timezone } = readBeatConfig(this.app.conf);
    const skipped: BeatSkipped[] = [];
    const due: Due[] = [];
    for (const entry of entries) {
      const found = entry.schedule.slotAt(nowMs, timezone);
      if (!found) {
        skipped.push({ entry: entry.name, slot: null, reason: "none" });
        continue;
      }
      const { at, next } = found;
      const slot = new Date(at);
      this.nextSlot = Math.min(this.nextSlot, next ?? Infinity);
      const gap = (next ?? Infinity) - at;
      const deadline = entry.deadlineMs ?? Math.min(gap, HOUR_MS);
      if (nowMs - at > deadline) skipped.push({ entry: entry.name, slot, reason: "late" });
      else if (this.seen.get(entry.name) === at) skipped.push({ entry: entry.name, slot, reason: "claimed" });
      else {
        // Build before claiming: a message that cannot be built must not burn its slot.
        const key = beatKey(entry.name, at);
        const taskId = await uuid5(key);
        const headers = { ...entry.options.headers, beat_entry: entry.name, beat_slot: slot.toISOString() };
        const message = this.app.buildMessage(entry.task, entry.args, { ...entry.options, kwargs: entry.kwargs, taskId, headers });
        due.push([{ entry: entry.name, task: entry.task, taskId, slot }, key, ttlFor(Math.min(gap, deadline)), message]);
      }
    }
    const claims = await Promise.allSettled(due.map(([sent, key, ttlMs]) => this.app.backend.setIfAbsent(key, sent.taskId, ttlMs)));
    let failed: PromiseRejectedResult | undefined;
    const won = due.filter(([sent], i) => {
      const c = claims[i]!;
      if (c.status === "rejected") {
        failed ??= c;
        return false;
      }
      this.seen.set(sent.entry, +sent.slot);
      if (!c.value) skipped.push({ entry: sent.entry, slot: sent.slot, reason: "claimed" });
      return c.value;
    });
    try {
      if (won.length) await this.app.publish(won.map((d) => d[3]));
    } catch (err) {
      // Nothing was sent: give the slots back so the next tick (here or elsewhere) sends them.
      await Promise.allSettled(won.map(([sent, key]) => (this.seen.delete(sent.entry), this.app.backend.release(key))));
      throw err;
    }
    if (failed) {
      const cause = failed.reason;
      throw cause instanceof CeleriacError ? cause : new AdapterError(this.app.backend.name, `beat claim failed: ${cause?.message ?? cause}`, { cause });
    }
    return { now: new Date(nowMs), sent: won.map((d) => d[0]), skipped };
  }

  /**
   * Tick on a timer until `signal` aborts (Node, Bun, Deno long-running processes). Wakes at
   * the earliest next slot the tick saw, at least every `intervalMs`. A failing tick never
   * ends the loop.
   */
  async start(opts: BeatStartOptions = {}): Promise<void> {
    const maxWait = opts.intervalMs ?? 60_000;
    if (!(maxWait > 0)) throw new ConfigError(`beat.start: intervalMs must be > 0, got ${maxWait}`);
    while (!opts.signal?.aborted) {
      try {
        const report = await this.tick();
        opts.onTick?.(report);
      } catch (err) {
        try {
          (opts.onError ?? ((e: unknown) => console.error("[celeriac] beat tick failed:", e)))(err);
        } catch { /* a failing error handler must not stop beat */ }
      }
      try {
        await sleep(Math.max(1, Math.min(maxWait, this.nextSlot - this.app.clock.now())), opts.signal);
      } catch {
        break;
      }
    }
  }
}

/** Keep a claim for the window in which ticks can see its slot, plus a margin for clock skew. */
function ttlFor(windowMs: number): number {
  const ttl = windowMs + Math.min(Math.max(windowMs, 60_000), HOUR_MS);
  return ttl < MAX_TTL_MS ? Math.ceil(ttl) : MAX_TTL_MS;
}
