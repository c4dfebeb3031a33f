import { CeleriacError, SoftTimeLimitExceeded, TimeLimitExceeded } from "../errors.ts";
import type { Execution } from "./outcome.ts";

/** The error reported for a function still running past its hard time limit. */
export const overran = (exec: Execution, more = ""): CeleriacError =>
  new CeleriacError("time_limit", `${exec.task}[${exec.taskId}] passed its hard time limit and its function is still running${more}`);

/**
 * Run `fn` under Celery's time limits (seconds, positive or null). At the soft limit `ctrl` aborts with
 * SoftTimeLimitExceeded so the task can clean up; at the hard limit the promise rejects with
 * TimeLimitExceeded and its signal is aborted too. JS cannot kill the function: when it is
 * still running at the hard limit, `onOverrun` gets its promise, so the worker can keep its slot
 * taken until it settles.
 */
export function runWithLimits<T>(
  fn: () => Promise<T>,
  limits: { hard: number | null; soft: number | null },
  ctrl: AbortController,
  onOverrun?: (running: Promise<unknown>) => void,
): Promise<T> {
  const timers: ReturnType<typeof setTimeout>[] = [];
  const { hard, soft } = limits;
  if (soft != null) timers.push(setTimeout(() => ctrl.abort(new SoftTimeLimitExceeded(soft)), soft * 1000));
  const run = fn();
  let settled = false;
  run.then(() => (settled = true), () => (settled = true));
  const timeout = new Promise<never>((_, reject) => {
    if (hard != null) {
      timers.push(setTimeout(() => {
        const err = new TimeLimitExceeded(hard);
        if (!ctrl.signal.aborted) ctrl.abort(err);
        if (!settled) onOverrun?.(run);
        reject(err);
      }, hard * 1000));
    }
  });
  return (hard == null ? run : Promise.race([run, timeout])).finally(() => timers.forEach(clearTimeout));
}

/**
 * Task functions that passed their hard time limit and still run. Each one keeps counting
 * against its worker's concurrency until it settles, so a worker never runs more than
 * `concurrency` functions at once.
 */
export class Overruns {
  /** How many are still running. */
  size = 0;
  private readonly listeners = new Set<() => void>();

  /** Hold a slot for `running` until it settles (its outcome is ignored: the task already failed). */
  add(running: Promise<unknown>): void {
    this.size++;
    const settled = (): void => {
      this.size--;
      for (const l of this.listeners) l();
    };
    running.then(settled, settled);
  }

  /** Call `listener` whenever one settles; returns the unsubscribe function. */
  onSettled(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }
}

const shared = new WeakMap<AbortSignal, { fns: Set<() => void>; listener: () => void }>();

/**
 * Call `fn` when `signal` aborts (not if it already has), through one listener per signal
 * however many tasks share it, so a worker at high concurrency stays under the runtime's
 * listener warnings. Returns the function that stops listening.
 */
export function onAbort(signal: AbortSignal | undefined, fn: () => void): () => void {
  if (!signal || signal.aborted) return () => {};
  let entry = shared.get(signal);
  if (!entry) {
    const fns = new Set<() => void>();
    const listener = (): void => {
      shared.delete(signal);
      for (const f of fns) f();
    };
    shared.set(signal, entry = { fns, listener });
    signal.addEventListener("abort", listener, { once: true });
  }
  const e = entry;
  e.fns.add(fn);
  return () => {
    e.fns.delete(fn);
    if (e.fns.size || shared.get(signal) !== e) return;
    shared.delete(signal);
    signal.removeEventListener("abort", e.listener);
  };
}

/**
 * The slots of one `run` loop, shared by all its batches: a delivery starts when a slot is free
 * (first come, first served); `capacity()` is re-read each time, so functions that overran
 * their hard limit keep theirs. After `close()` every waiting delivery is handed back.
 */
export class Slots {
  private busy = 0;
  private closed = false;
  private readonly waiting: ((ok: boolean) => void)[] = [];

  constructor(private readonly capacity: () => number) {}

  /** true once a slot is taken for the caller; false when closed first. */
  acquire(): Promise<boolean> | boolean {
    return !this.closed && new Promise((resolve) => (this.waiting.push(resolve), this.pump()));
  }

  /** A task gave its slot back. */
  release(): void {
    this.busy--;
    this.pump();
  }

  /** Capacity may have grown (an overrun settled): start who waits. */
  pump(): void {
    while (this.waiting.length && this.busy < this.capacity()) {
      this.busy++;
      this.waiting.shift()!(true);
    }
  }

  /** Hand back every waiting delivery and refuse new ones. */
  close(): void {
    this.closed = true;
    for (const w of this.waiting.splice(0)) w(false);
  }
}
