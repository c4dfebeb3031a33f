/**
 * What one worker instance knows about its own work, kept from its task events: the running
 * tasks (with args and start time), the received ones not started yet, the ones waiting for a
 * future ETA, counts per task name and the ids revoked by a broadcast. Read by the events'
 * heartbeats, by the pidbox (`inspect active|reserved|scheduled|stats|revoked`) and by the
 * presence records (`ResultBackend.recordWorker`).
 * @module
 */
import type { Clock } from "../host.ts";
import { parseInstant } from "../util/time.ts";
import type { TaskEvent } from "./events.ts";

/** One task as `celery inspect active` / `reserved` shows it (Celery's `Request.info()`). */
export interface TaskInfo {
  id: string;
  name: string;
  /** Celery's `argsrepr` / `kwargsrepr`. */
  args: string;
  kwargs: string;
  type: string;
  hostname: string;
  /** Epoch seconds the task started (null while reserved). */
  time_start: number | null;
  acknowledged: boolean;
  delivery_info: { exchange: string; routing_key: string; priority: number; redelivered: boolean };
  worker_pid: number | null;
}

/** One entry of `celery inspect scheduled`. */
export interface ScheduledInfo {
  eta: string;
  priority: number;
  request: TaskInfo;
}

const FINAL = new Set(["task-succeeded", "task-failed", "task-retried", "task-revoked", "task-rejected"]);
/** Revoked ids kept in memory at most (Celery keeps 50 000). */
const MAX_REVOKED = 50_000;
/**
 * Entries kept per map at most. A task whose execution failed on an adapter error (it comes
 * back by visibility timeout) or that was handed back for its rate limit sends no final event;
 * this bound keeps such leftovers from growing without end (oldest dropped first).
 */
const MAX_TRACKED = 10_000;

function bounded<V>(map: Map<string, V>, id: string, value: V): void {
  map.delete(id);
  map.set(id, value);
  for (const k of map.keys()) {
    if (map.size <= MAX_TRACKED) break;
    map.delete(k);
  }
}

/** The state of one worker instance; `record` is its task-event listener. */
export class WorkerState {
  /** Running tasks by id. */
  readonly active: Map<string, TaskInfo> = new Map();
  /** Received, not started, not waiting for an ETA. */
  readonly reserved: Map<string, TaskInfo> = new Map();
  /** Received with a future ETA (handed back to the broker until due). */
  readonly scheduled: Map<string, ScheduledInfo> = new Map();
  /** Finished tasks per name (Celery's `stats.total`). */
  readonly total: Record<string, number> = {};
  /** Ids revoked by a pidbox `revoke` while this worker ran. */
  readonly revoked: Set<string> = new Set();
  processed = 0;
  /** Epoch ms the worker started. */
  readonly startedAt: number;

  constructor(readonly hostname: string, private readonly clock: Clock, readonly pid: number | null = null) {
    this.startedAt = clock.now();
  }

  /** Update from one task event. */
  record(e: TaskEvent): void {
    if (!e.uuid || !e.name) return;
    if (e.type === "task-received") {
      const info = this.info(e);
      const eta = e.eta ? parseInstant(e.eta) : 0;
      if (eta > this.clock.now()) bounded(this.scheduled, e.uuid, { eta: e.eta!, priority: 0, request: info });
      else {
        this.scheduled.delete(e.uuid);
        bounded(this.reserved, e.uuid, info);
      }
    } else if (e.type === "task-started") {
      const info = this.reserved.get(e.uuid) ?? this.info(e);
      this.reserved.delete(e.uuid);
      bounded(this.active, e.uuid, { ...info, time_start: e.timestamp, acknowledged: true });
    } else if (FINAL.has(e.type)) {
      this.reserved.delete(e.uuid);
      if (this.active.delete(e.uuid) || e.type === "task-revoked" || e.type === "task-rejected") {
        this.processed++;
        this.total[e.name] = (this.total[e.name] ?? 0) + 1;
      }
    }
  }

  /** Scheduled entries whose ETA has not passed (a passed one is the broker's again). */
  pendingScheduled(): ScheduledInfo[] {
    const now = this.clock.now();
    for (const [id, s] of this.scheduled) if (parseInstant(s.eta) <= now) this.scheduled.delete(id);
    return [...this.scheduled.values()];
  }

  /** Remember revoked ids (bounded, oldest dropped first). */
  revoke(ids: string[]): void {
    for (const id of ids) this.revoked.add(id);
    for (const id of this.revoked) {
      if (this.revoked.size <= MAX_REVOKED) break;
      this.revoked.delete(id);
    }
  }

  private info(e: TaskEvent): TaskInfo {
    return {
      id: e.uuid!, name: e.name!, args: e.args ?? "()", kwargs: e.kwargs ?? "{}", type: e.name!, hostname: this.hostname,
      time_start: null, acknowledged: false, worker_pid: this.pid,
      delivery_info: { exchange: "", routing_key: e.queue ?? "", priority: 0, redelivered: false },
    };
  }
}
