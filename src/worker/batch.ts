/**
 * Claimed batches of one `drain` or `run`: run their deliveries on lanes, keep every delivery
 * invisible until it is acked (running or finished), and flush what finished in as few round
 * trips as the broker allows: one publish for every follow-up, then acks, results, requeues,
 * dead letters and the visibility extension of the rest together. A finished delivery does not
 * wait for a long batch-mate: it is flushed shortly after (`LINGER_MS`, with whatever else
 * finished meanwhile) or with the next extension.
 * @module
 */
import type { AppHost } from "../host.ts";
import type { Delivery, PullBroker, ResultWrite } from "../ports.ts";
import type { ResultMeta } from "../types.ts";
import type { Executor } from "./execute.ts";
import { REVOKED } from "../states.ts";
import { peekIds } from "./http.ts";
import { overran, type Overruns } from "./limits.ts";
import { Effects, type Disposition, type Execution } from "./outcome.ts";

/** What a batch needs from its worker. */
export interface BatchContext {
  app: AppHost;
  broker: PullBroker;
  executor: Executor;
  visibilityMs: number;
  /** The worker's functions running past their hard time limit (each holds a slot). */
  overruns: Overruns;
  /** Bound: may be passed on as a callback. */
  report: (err: unknown) => void;
  /** Buffered events and presence, flushed with every settle (src/worker/monitor.ts); never rejects. */
  flushMonitor(): unknown;
}

/** How one batch runs. */
export interface BatchOptions {
  /** Lanes (functions at once) for this batch. */
  lanes: number;
  /** Deliveries not started before this instant (epoch ms) or `signal` are handed back. */
  deadline: number;
  signal?: AbortSignal;
  /** Called once per delivery when it no longer takes a lane (finished, handed back or lost). */
  onSettled?: () => void;
  /**
   * Slots shared with other batches: `acquire()` before each delivery starts resolves when it
   * may take one, or false to hand it back unstarted (the worker is stopping); `release()`
   * gives it back once the delivery no longer needs it.
   */
  slots?: { acquire(): Promise<boolean> | boolean; release(): void };
}

/** A finished delivery waits this long for batch-mates before it is flushed without them. */
const LINGER_MS = 100;

/**
 * A delivery that waited this long (app clock) between its claim and its start is checked
 * against the stored revocations (`app.revoke` writes REVOKED records) before it starts: the
 * claim saw only what was revoked before it. One read covers every delivery held that long, and
 * is reused for this long.
 */
export const REVOKE_RECHECK_MS = 1000;

interface Batch {
  executions: Execution[];
  published: boolean;
  open: number;
  error?: unknown;
}

interface Leaving {
  d: Delivery;
  batch: Batch;
  to: Disposition;
  /** null: handed back unstarted. */
  effects: Effects | null;
}

const HAND_BACK: Disposition = { kind: "requeue", delayMs: 0 };

/** Runs claimed batches and settles their deliveries with the broker. */
export class BatchRunner {
  /** Held deliveries, with the app-clock instant of their claim (revocation re-checks). */
  private readonly owned = new Map<Delivery, number>();
  private leaving: Leaving[] = [];
  private chain: Promise<void> = Promise.resolve();
  private flushing = 0;
  // Set when needed (undefined until then).
  private declare ticker: ReturnType<typeof setInterval> | undefined;
  private declare linger: ReturnType<typeof setTimeout> | undefined;
  private declare recheck: { at: number; ids: string[]; metas: Promise<(ResultMeta | null)[]> } | undefined;

  constructor(private readonly ctx: BatchContext) {}

  /**
   * Run a batch and flush it. One whose execution hit an adapter failure stays unacked, to come
   * back after the visibility timeout. A lane whose function overran its hard time limit stops
   * (the function keeps its slot); what no lane could start is handed back.
   */
  async run(deliveries: Delivery[], opts: BatchOptions): Promise<{ executions: Execution[]; published: boolean }> {
    const batch: Batch = { executions: [], published: false, open: deliveries.length };
    if (!deliveries.length) return batch;
    this.hold(deliveries);
    let next = 0;
    const { slots, signal } = opts;
    const lane = async (): Promise<void> => {
      for (let overrun = false; !overrun && next < deliveries.length;) {
        const d = deliveries[next++];
        const go = !slots || await slots.acquire();
        // false: handed back unstarted (no slot, past the deadline, stopped); else the revocation re-check, if due.
        const recheck = go && this.ctx.app.clock.now() < opts.deadline && !signal?.aborted && this.revokedSinceClaim(d);
        overrun = recheck === false ? this.leave(d, batch) : await this.execute(d, batch, signal, recheck && await recheck);
        if (go) slots?.release();
        opts.onSettled?.();
      }
    };
    await Promise.all(Array.from({ length: Math.min(opts.lanes, deliveries.length) }, lane));
    while (next < deliveries.length) {
      this.leave(deliveries[next++], batch);
      opts.onSettled?.();
    }
    await this.flush();
    if (batch.error !== undefined) throw batch.error;
    return batch;
  }

  /**
   * Keep `deliveries` invisible (extended with the rest) from now until they are run or handed
   * back by a later `run`: for a batch claimed while the one before it still runs.
   */
  hold(deliveries: Delivery[]): Delivery[] {
    const at = this.ctx.app.clock.now();
    for (const d of deliveries) this.owned.set(d, this.owned.get(d) ?? at);
    if (deliveries.length) this.ticker ??= setInterval(() => this.tick(), Math.max(50, this.ctx.visibilityMs / 3));
    return deliveries;
  }

  /**
   * Resolves true when `d` waited at least REVOKE_RECHECK_MS since its claim and its task was revoked in
   * the store since. Only for brokers whose claim marks revocations (`capabilities.revocation`);
   * without it the executor reads the record of every delivery anyway. A failed read is reported
   * and counts as not revoked (the claim's answer stands). Null when no read is due.
   */
  private revokedSinceClaim(d: Delivery): Promise<boolean> | null {
    const now = this.ctx.app.clock.now();
    const stale = (o: Delivery): string | null =>
      !o.revoked && now - (this.owned.get(o) ?? now) >= REVOKE_RECHECK_MS ? peekIds(o.payload).taskId : null;
    const id = this.ctx.broker.capabilities.revocation ? stale(d) : null;
    if (!id) return null;
    let check = this.recheck;
    if (!check || now - check.at >= REVOKE_RECHECK_MS || !check.ids.includes(id)) {
      // Every delivery held this long (`d` among them), in one read.
      const ids = [...new Set([...this.owned.keys()].map(stale))].filter((x) => x) as string[];
      this.recheck = check = { at: now, ids, metas: this.ctx.app.backend.mget(ids).catch((err) => (this.ctx.report(err), [])) };
    }
    const { ids, metas } = check;
    return metas.then((m) => m[ids.indexOf(id)]?.status === REVOKED);
  }

  // True when the function is still running past its hard time limit.
  private async execute(d: Delivery, batch: Batch, signal: AbortSignal | undefined, revoked: boolean | null): Promise<boolean> {
    const effects = new Effects();
    let exec: Execution;
    try {
      exec = await this.ctx.executor.execute(revoked ? { ...d, revoked } : d, effects, signal);
    } catch (err) {
      this.ctx.report(err);
      this.owned.delete(d);
      batch.open--;
      this.idle();
      return false;
    }
    batch.executions.push(exec);
    if (effects.publish.length) batch.published = true;
    this.leave(d, batch, exec.disposition, effects);
    if (!effects.overrun) return false;
    this.ctx.overruns.add(effects.overrun);
    this.ctx.report(overran(exec, "; it keeps its slot until it settles"));
    return true;
  }

  // Without effects: handed back unstarted.
  private leave(d: Delivery, batch: Batch, to = HAND_BACK, effects: Effects | null = null): false {
    this.leaving.push({ d, batch, to, effects });
    if (--batch.open > 0) this.linger ??= setTimeout(() => void this.flush(), Math.min(LINGER_MS, this.ctx.visibilityMs / 3));
    return false;
  }

  /** Flush everything finished so far (after any flush in flight); extend the rest if asked. */
  private flush(extend = false): Promise<void> {
    this.flushing++;
    return (this.chain = this.chain.then(() => this.flushNow(extend)).finally(() => this.flushing--));
  }

  // Never rejects: a failed settle is recorded on the batches it concerned.
  private async flushNow(extend: boolean): Promise<void> {
    clearTimeout(this.linger);
    this.linger = undefined;
    const out = this.leaving.splice(0);
    const gone = new Set(out.map((l) => l.d));
    const keep = extend && this.ctx.broker.extend ? [...this.owned.keys()].filter((d) => !gone.has(d)) : [];
    if (!out.length && !keep.length) return;
    const { app, broker } = this.ctx;
    try {
      await app.publish(out.flatMap((l) => l.effects?.publish ?? []));
      const acks = out.filter((l) => l.to.kind === "ack").map((l) => l.d);
      // Issued together so an auto-pipelining client (Upstash) sends them as one request.
      await Promise.all([
        settle(app, broker, acks, out.flatMap((l) => l.effects?.results ?? [])),
        ...out.map(({ d, to }) =>
          to.kind === "requeue" ? broker.requeue(d, { delayMs: to.delayMs }) : to.kind === "deadLetter" ? broker.deadLetter(d, to.reason) : null
        ),
        keep.length && this.extend(keep),
        this.ctx.flushMonitor(),
      ]);
    } catch (err) {
      for (const l of out) l.batch.error ??= err;
    } finally {
      for (const d of gone) this.owned.delete(d);
      this.idle();
    }
  }

  // Every third of the visibility timeout: push back the deadline of everything not yet acked,
  // in the same request as a flush of what finished when none is in flight (never behind one).
  private tick(): void {
    if (this.leaving.length && !this.flushing) return void this.flush(true);
    if (this.owned.size && this.ctx.broker.extend) void this.extend([...this.owned.keys()]);
  }

  // Push back the visibility deadline of `deliveries` (a failure is reported, never thrown).
  private extend(deliveries: Delivery[]): Promise<void> {
    const { app, broker, visibilityMs } = this.ctx;
    return broker.extend!(deliveries, visibilityMs, { now: app.clock.now() }).catch(this.ctx.report);
  }

  private idle(): void {
    if (this.owned.size) return;
    clearInterval(this.ticker);
    this.ticker = undefined;
  }
}

async function settle(app: AppHost, broker: PullBroker, acks: Delivery[], results: ResultWrite[]): Promise<void> {
  if (results.length && broker.storesResultsFor?.(app.backend)) return broker.ack(acks, results);
  if (results.length) await app.backend.set(results);
  if (acks.length) await broker.ack(acks);
}
