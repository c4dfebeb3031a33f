/**
 * `GroupResult`: the results of a group's members, in submission order. Every read is one
 * `mget` of the members' records (Celery's `join_native`), whatever the group's size; `get`
 * reads once and then follows the backend's notifications where it has `watch`.
 * @module
 */
import { ConfigError } from "./errors.ts";
import { AsyncResult, type GetOptions, type Outcome, type ResultHost } from "./result.ts";
import { waitForRecords } from "./result-wait.ts";
import { FAILURE, PENDING, SUCCESS, type TaskState } from "./states.ts";
import type { ResultMeta } from "./types.ts";

/**
 * The result of a group (and of a chord's header): `get()` gives the members' values in the
 * order the signatures were given, however they finished.
 * @example
 * const res = await group([1, 2, 3].map((i) => add.s(i, i))).delay();
 * await res.get({ timeout: 5_000 }); // [2, 4, 6]
 */
export class GroupResult<T = unknown> extends AsyncResult<T[]> {
  /** The members' results, in order (nested groups are flattened, as Celery does). */
  declare readonly results: AsyncResult<T>[];

  constructor(id: string, results: AsyncResult<T>[], host: ResultHost, parent: AsyncResult | null = null) {
    super(id, host, parent);
    this.results = results;
  }

  /** The members' records in one round trip, by id. */
  private async snapshot(): Promise<Map<string, ResultMeta | null>> {
    const ids = [...new Set(this.watchIds(false))];
    const metas = ids.length ? await this.host.backend.mget(ids) : [];
    return new Map(ids.map((id, i) => [id, metas[i] ?? null]));
  }

  /** @internal */
  override watchIds(followParents: boolean): string[] {
    const own = followParents && this.parent ? this.parent.watchIds(true) : [];
    return [...this.results.flatMap((r) => r.watchIds(followParents)), ...own];
  }

  /** @internal */
  override outcome(snap: ReadonlyMap<string, ResultMeta | null>, followParents: boolean): Outcome {
    const outs = this.results.map((r) => r.evaluate(snap, followParents));
    const failure = outs.find((o) => o.failure)?.failure ?? null;
    return { ready: outs.every((o) => o.ready), failure, value: outs.map((o) => o.value) };
  }

  /**
   * Wait for every member and return their values in order. The first failed member (in
   * order) is thrown as soon as it is seen, unless `propagate: false`.
   */
  override get(opts: GetOptions = {}): Promise<T[]> {
    const propagate = opts.propagate ?? true;
    return waitForRecords<T[]>(this.host.backend, {
      ...opts, id: this.id, ids: this.watchIds(propagate),
      judge: (snap) => this.judge(snap, propagate),
    });
  }

  /** Same as `get` (Celery's `join`). */
  join(opts: GetOptions = {}): Promise<T[]> {
    return this.get(opts);
  }

  /** The member results that are tasks (members that are groups are unrolled). */
  leaves(): AsyncResult<T>[] {
    return this.results.flatMap((r) => r instanceof GroupResult ? r.leaves() : [r]);
  }

  /** @internal the members' states (members that are groups are unrolled) */
  override async states(): Promise<TaskState[]> {
    const snap = await this.snapshot();
    return this.leaves().map((r) => snap.get(r.id)?.status ?? PENDING);
  }

  /** True while any member is not ready. */
  async waiting(): Promise<boolean> {
    return !(await this.ready());
  }

  /** How many members (tasks) succeeded. */
  async completedCount(): Promise<number> {
    return (await this.states()).filter((s) => s === SUCCESS).length;
  }

  /** SUCCESS when all members succeeded, FAILURE when one failed, else PENDING. */
  override get state(): Promise<TaskState> {
    return this.states().then((ss) =>
      ss.every((s) => s === SUCCESS) ? SUCCESS : ss.some((s) => s === FAILURE) ? FAILURE : PENDING
    );
  }

  /** The members' current values (null for members not ready). */
  override get result(): Promise<unknown> {
    return this.snapshot().then((snap) => this.results.map((r) => r.evaluate(snap, false).value));
  }

  /** The members' results (Celery: a group's children are its results). */
  override get children(): Promise<AsyncResult[]> {
    return Promise.resolve([...this.results]);
  }

  /**
   * Store this group's member ids as Celery's `celery-taskset-meta-<gid>` record, so
   * `app.GroupResult.restore(id)` (or Python's `GroupResult.restore`) can rebuild it.
   */
  async save(): Promise<this> {
    const b = this.host.backend;
    if (!b.saveGroup) throw new ConfigError(`backend ${b.name} cannot save groups (no saveGroup)`);
    const host = this.host as { resultTtlMs?(): number | null };
    const ttl = host.resultTtlMs ? host.resultTtlMs() ?? 0 : 86_400_000; // 0: no expiry
    await b.saveGroup(this.id, JSON.stringify({ result: this.asTuple() }), ttl);
    return this;
  }

  /** Celery's `as_tuple()`: `[[id, parent tuple], [member tuples]]`. */
  override asTuple(): [[string, unknown], unknown[]] {
    return [[this.id, this.parent ? this.parent.asTuple() : null], this.results.map((r) => r.asTuple())];
  }
}
