/**
 * What the dashboard shows, read through the ports: `PullBroker.stats` (or `size` per queue),
 * `deadLetters`, `ResultBackend.workers` and `ResultBackend.recent`. Every read is optional
 * on the adapter side; what an adapter cannot answer is `null` and the page says so.
 * @module
 */
import type { Celeriac } from "../../src/app.ts";
import { decodeIncoming } from "../../src/decode.ts";
import { isPullBroker, type BrokerStats, type WorkerInfo } from "../../src/ports.ts";
import { READY_STATES } from "../../src/states.ts";
import type { ResultMeta } from "../../src/types.ts";

/** A task record as the dashboard lists it. */
export interface TaskRow {
  id: string;
  state: string;
  /** From `conf.resultExtended` records (Celery's `result_extended`); null otherwise. */
  name: string | null;
  args: unknown;
  kwargs: unknown;
  worker: string | null;
  retries: number | null;
  result: unknown;
  traceback: string | null;
  dateDone: string | null;
  /** `updateState("PROGRESS", { current, total })` (any state whose result has both numbers). */
  progress: { current: number; total: number } | null;
  /** The task may still run: the page offers revoke. */
  revocable: boolean;
}

/** A dead letter as the dashboard lists it. */
export interface DeadRow {
  id: string | null;
  task: string | null;
  args: unknown;
  queue: string;
  reason: string;
  at: string;
}

/** A worker with its online state (`now < timestamp + 2 * freq`). */
export type WorkerRow = WorkerInfo & { online: boolean };

/** Everything one page (or one poll) shows. */
export interface Snapshot {
  app: string;
  /** Epoch ms (the app's clock) the snapshot was read at. */
  now: number;
  queues: { name: string; waiting: number }[];
  /** Counts across queues; null when the broker cannot tell. */
  delayed: number | null;
  unacked: number | null;
  dead: number | null;
  /** Null when the backend keeps no presences (`workers` not implemented). */
  workers: WorkerRow[] | null;
  /** Null when the backend keeps no recent index (`recent` not implemented). */
  tasks: TaskRow[] | null;
  deadLetters: DeadRow[];
}

/** How much a snapshot reads. */
export interface SnapshotLimits {
  /** Queues to count; default: the default queue, routed queues and the queues workers consume. */
  queues?: string[];
  /** Recent task records (default 50). */
  tasks?: number;
  /** Dead letters (default 50). */
  deadLetters?: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The progress a record carries, when its result is `{ current, total }` with finite numbers. */
export function progressOf(meta: Pick<ResultMeta, "status" | "result">): { current: number; total: number } | null {
  const r = meta.result;
  if (READY_STATES.has(meta.status) || !isObject(r)) return null;
  const { current, total } = r;
  return typeof current === "number" && typeof total === "number" && Number.isFinite(current) && Number.isFinite(total) && total > 0
    ? { current, total }
    : null;
}

/** A record as a row. */
export function taskRow(m: ResultMeta): TaskRow {
  const str = (v: unknown): string | null => (typeof v === "string" ? v : null);
  return {
    id: String(m.task_id), state: String(m.status), name: str(m.name), args: m.args ?? null, kwargs: m.kwargs ?? null,
    worker: str(m.worker), retries: typeof m.retries === "number" ? m.retries : null, result: m.result ?? null,
    traceback: str(m.traceback), dateDone: str(m.date_done), progress: progressOf(m), revocable: !READY_STATES.has(String(m.status)),
  };
}

/** Dead-letter payloads larger than this are listed without decoding (a compressed body could expand a lot). */
const MAX_DECODED_PAYLOAD = 256 * 1024;

async function deadRow(d: { payload: string; queue: string; reason: string; at: string }): Promise<DeadRow> {
  const row: DeadRow = { id: null, task: null, args: null, queue: d.queue, reason: d.reason, at: d.at };
  if (d.payload.length > MAX_DECODED_PAYLOAD) return row;
  try {
    const msg = await decodeIncoming(d.payload);
    Object.assign(row, { id: msg.headers.id, task: msg.headers.task, args: msg.args });
  } catch { /* undecodable payloads are listed without id */ }
  return row;
}

function queuesOf(app: Celeriac, workers: WorkerRow[] | null): string[] {
  const out = new Set([app.conf.defaultQueue]);
  const routes = app.conf.taskRoutes;
  if (typeof routes === "object") for (const r of Object.values(routes)) out.add(typeof r === "string" ? r : r.queue ?? app.conf.defaultQueue);
  for (const w of workers ?? []) for (const q of w.queues ?? []) out.add(q);
  return [...out];
}

/** Read a snapshot: broker, dead letters, workers and recent records, concurrently. */
export async function snapshot(app: Celeriac, limits: SnapshotLimits = {}): Promise<Snapshot> {
  const now = app.clock.now();
  const backend = app.backend;
  const [workersRaw, recent] = await Promise.all([
    backend.workers ? backend.workers() : null,
    backend.recent ? backend.recent(limits.tasks ?? 50) : null,
  ]);
  const workers = workersRaw?.map((w) => ({ ...w, online: now < (w.timestamp + 2 * w.freq) * 1000 })) ?? null;
  workers?.sort((a, b) => a.hostname.localeCompare(b.hostname));
  const names = limits.queues ?? queuesOf(app, workers);
  const broker = app.broker;
  let stats: BrokerStats | null = null;
  let dead: DeadRow[] = [];
  if (isPullBroker(broker)) {
    const [s, d] = await Promise.all([
      broker.stats ? broker.stats(names) : Promise.all(names.map((q) => broker.size(q))).then((n) => ({
        waiting: Object.fromEntries(names.map((q, i) => [q, n[i]!])), delayed: NaN, unacked: NaN, dead: NaN,
      })),
      broker.deadLetters(limits.deadLetters ?? 50),
    ]);
    stats = s;
    dead = await Promise.all(d.map(deadRow));
  }
  const count = (n: number | undefined): number | null => (n === undefined || Number.isNaN(n) ? null : n);
  return {
    app: app.name, now,
    queues: names.map((name) => ({ name, waiting: stats?.waiting[name] ?? 0 })),
    delayed: count(stats?.delayed), unacked: count(stats?.unacked), dead: stats ? count(stats.dead) ?? dead.length : null,
    workers, tasks: recent?.map(taskRow) ?? null, deadLetters: dead,
  };
}
