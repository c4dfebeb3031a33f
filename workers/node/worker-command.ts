/**
 * `celeriac worker`: Celery's `celery -A proj worker` for the app exported by the user's module
 * (see docs/cli.md).
 * @module
 */
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import process from "node:process";
import { DEFAULT_CONCURRENCY, monitoring, type PullBroker, type Worker } from "../../mod.ts";
import { APP_FLAG, COMMON, logError, logEvent, setUp } from "./app-setup.ts";
import { numberFlag, UsageError, type Subcommand } from "./cli-kit.ts";
import { log } from "./log.ts";
import { stopOnSignals } from "./signals.ts";

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
  -E, --task-events          publish Celery's events on the broker (celery events, Flower) and, in
                             the loop, answer celery inspect/control (TCP Redis); presence records too
  --heartbeat S              seconds between worker heartbeats with -E (default 2; with --drain 60)

SIGINT/SIGTERM: warm shutdown (stop claiming, hand unstarted messages back, wait for running
tasks, exit 0). A second signal exits 130/143 at once; its claimed messages come back after the
visibility timeout.`,
  run: runWorker,
};

async function runWorker(argv: string[]): Promise<number> {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      ...COMMON, "task-events": { type: "boolean", short: "E" }, queues: { type: "string", short: "Q", multiple: true },
      concurrency: { type: "string", short: "c" }, prefetch: { type: "string" }, hostname: { type: "string", short: "n" },
      "visibility-timeout": { type: "string" }, "poll-interval": { type: "string" },
      drain: { type: "boolean" }, "max-tasks": { type: "string" }, budget: { type: "string" }, heartbeat: { type: "string" },
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
  const heartbeatSeconds = numberFlag(v.heartbeat, "--heartbeat", 0.01, true);
  if (heartbeatSeconds !== undefined && !v["task-events"]) throw new UsageError("--heartbeat needs -E/--task-events");

  const app = await setUp(v);
  const events = v["task-events"] === true;
  if (events && !app.broker.events) log(`worker: -E: broker ${app.broker.name} has no event channel; task events are only logged`, "warning");
  if (typeof (app.broker as { claim?: unknown }).claim !== "function") {
    console.error(`celeriac worker: broker ${app.broker.name} pushes messages; serve worker.fetch(request) instead`);
    return 1;
  }
  const worker = app.worker({ queues, concurrency, prefetch, visibilityTimeout, hostname: v.hostname, onError: logError("worker"), onEvent: logEvent,
    events, heartbeatSeconds, pid: process.pid, monitoring,
  });
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
      `  tasks ${tasks.join(", ") || "(none registered)"}\n` +
      (events ? `  events on (${app.broker.events?.subscribeControl ? "answers celery inspect/control" : "published only; no pidbox on this broker"})\n` : "") +
      `connecting to ${app.broker.name} ...`,
  );
  if (!(await reachBroker(app.broker as PullBroker, worker, signal))) return 0;
  console.error("ready (Ctrl+C: warm shutdown)");
  await worker.run({ signal, concurrency, pollIntervalMs });
  log("worker: stopped");
  return 0;
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

