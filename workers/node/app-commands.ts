/**
 * `celeriac worker` and `celeriac beat`: Celery's `celery -A proj worker` and `celery -A proj beat`
 * for the app exported by the user's module (see docs/cli.md).
 * @module
 */
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { DEFAULT_CONCURRENCY, type Celeriac, type PullBroker, type TaskEvent, type Worker } from "../../mod.ts";
import { useUrls } from "./broker-url.ts";
import { loadApp, log, numberFlag, setLogLevel, stopOnSignals, UsageError, type Subcommand } from "./cli-kit.ts";

const APP_FLAG = `  -A, --app MODULE[:EXPORT]  module exporting your Celeriac app (path from the current directory;
                             export "app", else "default", else the module's only Celeriac export)
  -b, --broker URL           use this broker instead of the app's (redis://, amqp://, or Upstash https://TOKEN@host)
  --result-backend URL       use this result backend instead of the app's (redis:// or Upstash https://TOKEN@host)
  -l, --loglevel LEVEL       debug, info (default), warning, error or critical`;

// Celery's spellings shared by worker and beat.
const COMMON = {
  app: { type: "string", short: "A" }, broker: { type: "string", short: "b" }, "result-backend": { type: "string" },
  loglevel: { type: "string", short: "l" },
} as const;

async function setUp(v: { app?: string; broker?: string; "result-backend"?: string; loglevel?: string }): Promise<Celeriac> {
  setLogLevel(v.loglevel);
  const app = await loadApp(v.app);
  await useUrls(app, v.broker, v["result-backend"]);
  warnIfInProcess(app);
  return app;
}

/** `celeriac worker`: `worker.run` until SIGINT/SIGTERM, or one `worker.drain` with `--drain`. */
export const workerCommand: Subcommand = {
  summary: "Run tasks from the broker: a loop, or one --drain",
  usage: `celeriac worker -A MODULE[:EXPORT] [options]

${APP_FLAG}
  -Q, --queues a,b           queues to consume (default: the default queue plus every routed queue)
  -c, --concurrency N        tasks run at the same time (default 32)
  --prefetch N               messages claimed per round trip, held at most (default max(4 × concurrency, 10))
  -n, --hostname H           self.request.hostname (default celeriac@<app name>)
  --visibility-timeout S     seconds a claimed message stays invisible (default conf.visibilityTimeout)
  --poll-interval MS         longest wait after an empty claim (default 1000; 5 ms after work, doubling)
  --drain                    run what is queued once, print the DrainReport as JSON, exit 0
  --max-tasks N              with --drain: stop after N messages
  --budget MS                with --drain: stop taking new work after MS milliseconds
  -E, --task-events          accepted for Celery's sake: events are logged here, not broadcast yet

SIGINT/SIGTERM: warm shutdown (stop claiming, hand unstarted messages back, wait for running
tasks, exit 0). A second signal exits 130/143 at once; its claimed messages come back after the
visibility timeout.`,
  run: runWorker,
};

/** `celeriac beat`: `app.beat.start` until SIGINT/SIGTERM, or one `app.beat.tick` with `--once`. */
export const beatCommand: Subcommand = {
  summary: "Send the periodic tasks of conf.beatSchedule: a loop, or one --once",
  usage: `celeriac beat -A MODULE[:EXPORT] [--interval MS] [--once]

${APP_FLAG}
  --interval MS              longest wait between ticks (default 60000; beat also wakes at each slot)
  --once                     tick once, print the TickReport as JSON, exit 0

Any number of beat processes (and other triggers) may run: each slot is sent once.
SIGINT/SIGTERM: stop after the current tick, exit 0; a second signal exits 130/143 at once.`,
  run: runBeat,
};

async function runWorker(argv: string[]): Promise<number> {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      ...COMMON, "task-events": { type: "boolean", short: "E" }, queues: { type: "string", short: "Q", multiple: true },
      concurrency: { type: "string", short: "c" }, prefetch: { type: "string" }, hostname: { type: "string", short: "n" },
      "visibility-timeout": { type: "string" }, "poll-interval": { type: "string" },
      drain: { type: "boolean" }, "max-tasks": { type: "string" }, budget: { type: "string" },
    },
  });
  if (!v.drain && (v["max-tasks"] !== undefined || v.budget !== undefined)) throw new UsageError("--max-tasks and --budget need --drain");
  if (v.drain && v["poll-interval"] !== undefined) throw new UsageError("--poll-interval applies to the loop, not to --drain");
  const queues = v.queues?.flatMap((q) => q.split(",")).map((q) => q.trim()).filter(Boolean);
  if (queues && !queues.length) throw new UsageError("-Q needs at least one queue name");
  const concurrency = numberFlag(v.concurrency, "--concurrency");
  const prefetch = numberFlag(v.prefetch, "--prefetch");
  const visibilityTimeout = numberFlag(v["visibility-timeout"], "--visibility-timeout", 0.001, true);
  const pollIntervalMs = numberFlag(v["poll-interval"], "--poll-interval", 0);
  const maxTasks = numberFlag(v["max-tasks"], "--max-tasks");
  const budgetMs = numberFlag(v.budget, "--budget");

  const app = await setUp(v);
  if (v["task-events"]) log("worker: -E: task events are logged below; sending them to monitors (flower) is not supported yet", "warning");
  if (typeof (app.broker as { claim?: unknown }).claim !== "function") {
    console.error(`celeriac worker: broker ${app.broker.name} pushes messages; serve worker.fetch(request) instead`);
    return 1;
  }
  const worker = app.worker({ queues, concurrency, prefetch, visibilityTimeout, hostname: v.hostname, onError: logError("worker"), onEvent: logEvent });
  const { signal } = stopOnSignals("worker", "waiting for running tasks");
  if (v.drain) {
    console.log(JSON.stringify(await worker.drain({ maxTasks, budgetMs, signal })));
    return 0;
  }
  const tasks = [...app.tasks.keys()].filter((t) => !t.startsWith("celery."));
  console.error(
    `celeriac worker ${worker.hostname}: app "${app.name}"\n` +
      `  broker ${app.broker.name}, backend ${app.backend.name}\n` +
      `  queues ${worker.queues.join(", ")}; concurrency ${concurrency ?? DEFAULT_CONCURRENCY}\n` +
      `  tasks ${tasks.join(", ") || "(none registered)"}\nconnecting to ${app.broker.name} ...`,
  );
  if (!(await reachBroker(app.broker as PullBroker, worker, signal))) return 0;
  console.error("ready (Ctrl+C: warm shutdown)");
  await worker.run({ signal, concurrency, pollIntervalMs });
  log("worker: stopped");
  return 0;
}

async function runBeat(argv: string[]): Promise<number> {
  const { values: v } = parseArgs({
    args: argv,
    options: { ...COMMON, interval: { type: "string" }, once: { type: "boolean" } },
  });
  if (v.once && v.interval !== undefined) throw new UsageError("--interval applies to the loop, not to --once");
  const intervalMs = numberFlag(v.interval, "--interval");
  const app = await setUp(v);
  if (v.once) {
    console.log(JSON.stringify(await app.beat.tick(new Date())));
    return 0;
  }
  const entries = Object.keys(app.conf.beatSchedule ?? {});
  console.error(
    `celeriac beat: app "${app.name}", broker ${app.broker.name}, backend ${app.backend.name}\n` +
      `  entries ${entries.join(", ") || "(none: conf.beatSchedule is empty)"}\nready (Ctrl+C: stop)`,
  );
  const stop = stopOnSignals("beat", "stopping after the current tick");
  let code = 0;
  await app.beat.start({
    signal: stop.signal,
    intervalMs,
    onTick: (r) => r.sent.forEach((s) => log(`beat: sent ${s.entry} (${s.task}) id ${s.taskId} slot ${s.slot.toISOString()}`)),
    onError: (err) => {
      logError("beat")(err);
      // tick validates the whole schedule first: a ConfigError would recur on every tick.
      if ((err as Error)?.name === "ConfigError") {
        code = 1;
        stop.abort();
      }
    },
  });
  if (code === 0) log("beat: stopped");
  return code;
}

function warnIfInProcess(app: Celeriac): void {
  if (app.broker.name === "memory") log(`warning: app "${app.name}" uses the in-process memory broker: no other process sees its queues`, "warning");
}

/** "ready" only once the broker answered (one cheap read); retries, as Celery does, until stopped. */
async function reachBroker(broker: PullBroker, worker: Worker, signal: AbortSignal): Promise<boolean> {
  for (let waitMs = 1000; ; waitMs = Math.min(waitMs * 2, 16_000)) {
    try {
      await broker.size(worker.queues[0]);
      return true;
    } catch (err) {
      logError("worker")(err);
      log(`worker: cannot reach broker ${broker.name}, trying again in ${waitMs / 1000} s`, "error");
    }
    if (!(await sleep(waitMs, true, { signal }).catch(() => false))) return false;
  }
}

const logError = (what: string) => (err: unknown): void => {
  const cause = (err as { cause?: unknown })?.cause;
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  log(`${what} error: ${text}${cause instanceof Error && !text.includes(cause.message) ? ` (cause: ${cause.message})` : ""}`, "error");
};

// Celery's worker log lines for the task events that matter.
function logEvent(e: TaskEvent): void {
  const t = `Task ${e.name}[${e.uuid}]`;
  if (e.type === "task-succeeded") log(`${t} succeeded in ${e.runtime!.toFixed(3)}s: ${JSON.stringify(e.result)?.slice(0, 200)}`);
  else if (e.type === "task-failed") log(`${t} raised unexpected: ${e.exception}`, "error");
  else if (e.type === "task-retried") log(`${t} retry: retry at ${e.eta}: ${e.exception}`);
  else if (e.type === "task-revoked") log(`Discarding ${e.reason} task: ${e.name}[${e.uuid}]`);
  else if (e.type === "task-rejected") log(`Rejected message to the dead-letter list: ${e.reason}`, "warning");
}
