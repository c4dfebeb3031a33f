/**
 * What a long-running process runs next to its HTTP server: the worker loop (pull brokers)
 * and beat on a timer. Shared by `serve` in workers/deno, workers/bun and workers/node.
 * @module
 */
import type { Celeriac } from "../src/app.ts";
import { isPullBroker } from "../src/ports.ts";
import type { RunOptions, WorkerOptions } from "../src/worker/worker.ts";

/** Options of `serve(app, opts)` common to every runtime. */
export interface ServeOptions {
  /** Anything with a web-standard `fetch` (a Hono app). Default: 404 for everything. */
  hono?: { fetch(request: Request): Response | Promise<Response> };
  /** Port (default 8000; 0 picks a free one). */
  port?: number;
  /** Interface to listen on (default "0.0.0.0"). */
  hostname?: string;
  /** Run a worker loop in this process (default true on pull brokers; false to serve only). */
  worker?: WorkerOptions | false;
  /** Options of the worker loop (`concurrency`, `pollIntervalMs`, `shutdownTimeoutMs`). */
  run?: Omit<RunOptions, "signal">;
  /** Run beat in this process (default true; each slot is sent once however many processes tick). */
  beat?: boolean;
  /** Stop serving and working when this aborts. */
  signal?: AbortSignal;
}

/** A running server. */
export interface Served {
  /** Base URL, e.g. `http://127.0.0.1:8000`. */
  readonly url: string;
  /** Stop the server, let running tasks finish, stop beat. */
  stop(): Promise<void>;
}

/** Start the worker loop and (optionally) beat; resolves when both stopped after `signal`. */
export function background(app: Celeriac, opts: ServeOptions, signal: AbortSignal, beatTimer = true): Promise<unknown> {
  const jobs: Promise<unknown>[] = [];
  if (opts.worker !== false && isPullBroker(app.broker)) jobs.push(app.worker(opts.worker || {}).run({ ...opts.run, signal }));
  if (opts.beat !== false && beatTimer) jobs.push(app.beat.start({ signal }));
  return Promise.all(jobs);
}

/** The request handler: the Hono app, or 404. */
export const handlerOf = (opts: ServeOptions) => (request: Request): Response | Promise<Response> =>
  opts.hono ? opts.hono.fetch(request) : Response.json({ error: "not found" }, { status: 404 });

/** One controller that aborts with the user's signal too. */
export function linkedController(signal?: AbortSignal): AbortController {
  const ctrl = new AbortController();
  if (signal?.aborted) ctrl.abort(signal.reason);
  else signal?.addEventListener("abort", () => ctrl.abort(signal.reason), { once: true });
  return ctrl;
}
