/**
 * `celeriac inspect`: Celery's `celery -A proj inspect ...` (and `control revoke`) for what
 * celeriac stores: the app's registered tasks, waiting messages per queue, the broker's
 * dead-letter list and stored results; `revoke` revokes task ids (see docs/cli.md).
 * @module
 */
import { parseArgs } from "node:util";
import { isPullBroker, PENDING, REVOKED, type Celeriac, type PullBroker } from "../../mod.ts";
import { loadApp } from "./app-loader.ts";
import { useUrls } from "./broker-url.ts";
import { numberFlag, UsageError, type Subcommand } from "./cli-kit.ts";
import { table, taskOf, type Output } from "./inspect-format.ts";
import { results } from "./queue-commands.ts";
import { WORKER_ACTIONS, type WorkerFlags } from "./inspect-workers.ts";
import { log } from "./log.ts";

interface Flags extends WorkerFlags { all?: boolean; limit?: number; redrive?: boolean; queue?: string }
type Action = { args: "none" | "some" | "ids"; run(app: Celeriac, args: string[], flags: Flags): Promise<Output> };

const ACTIONS: Record<string, Action> = {
  registered: { args: "none", run: registered },
  queues: { args: "some", run: queues },
  "dead-letters": { args: "none", run: deadLetters },
  result: { args: "ids", run: results },
  revoke: { args: "ids", run: revoke },
  ...WORKER_ACTIONS,
};

/** `celeriac inspect`: one look at the app, its broker and its results (or a revoke), then exit. */
export const inspectCommand: Subcommand = {
  summary: "Show registered tasks, queues, dead letters, results, running workers; revoke tasks",
  usage: `celeriac inspect -A MODULE[:EXPORT] <what> [args] [--json]

  registered [--all]         the app's tasks and their options (--all: with the celery.* builtins)
  queues [QUEUE ...]         waiting messages per queue (default: the queues a worker consumes)
  dead-letters [--limit N]   newest entries of the broker's dead-letter list (default 20)
  dead-letters --redrive [--limit N] [-Q QUEUE]
                             put dead letters back on their queues, oldest first (default: all;
                             -Q: only those from QUEUE); prints how many moved
  result TASK_ID ...         stored state, result or exception, date_done, children (none: PENDING)
  revoke TASK_ID ...         workers never run these ids; unfinished ones become REVOKED
  ping | active | reserved | scheduled | stats | active_queues | revoked
                             ask running workers over Celery's pidbox (TCP Redis; Python Celery
                             workers answer too), plus what request-triggered workers recorded

  -A, --app MODULE[:EXPORT]  module exporting your Celeriac app (as for celeriac worker)
  -b, --broker URL           use this broker instead of the app's (as for celeriac worker)
  --result-backend URL       use this result backend instead of the app's
  -d, --destination H[,H]    only these workers (ping, active, ...)
  --timeout S                seconds to wait for replies (default 1, as Celery's)
  --json                     print one JSON document on stdout instead of text

Exit codes: 0 done, 1 a runtime error (broker unreachable, push-only broker, no worker replied
and none recorded presence), 2 bad usage.`,
  run: runInspect,
};

async function runInspect(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      app: { type: "string", short: "A" }, json: { type: "boolean" }, all: { type: "boolean" }, limit: { type: "string" },
      redrive: { type: "boolean" }, queue: { type: "string", short: "Q" }, broker: { type: "string", short: "b" },
      "result-backend": { type: "string" }, destination: { type: "string", short: "d", multiple: true }, timeout: { type: "string" },
    },
  });
  const [what, ...args] = positionals;
  const names = Object.keys(ACTIONS).join(", ");
  if (what === undefined) throw new UsageError(`what to inspect? one of ${names}`);
  const action = ACTIONS[what];
  if (action === undefined) throw new UsageError(`unknown "${what}": expected one of ${names}`);
  if (action.args === "none" && args.length) throw new UsageError(`${what} takes no arguments, got "${args.join(" ")}"`);
  if (action.args === "ids" && !args.length) throw new UsageError(`${what} needs at least one task id`);
  if (v.all && what !== "registered") throw new UsageError("--all applies to registered only");
  if (v.limit !== undefined && what !== "dead-letters") throw new UsageError("--limit applies to dead-letters only");
  if (v.redrive && what !== "dead-letters") throw new UsageError("--redrive applies to dead-letters only");
  if (v.queue !== undefined && !v.redrive) throw new UsageError("-Q/--queue applies to dead-letters --redrive only");
  const limit = numberFlag(v.limit, "--limit");
  const timeout = numberFlag(v.timeout, "--timeout", 0.01, true);
  const destination = v.destination?.flatMap((d) => d.split(",")).map((d) => d.trim()).filter(Boolean);
  if ((timeout !== undefined || destination) && !(what in WORKER_ACTIONS)) throw new UsageError(`--timeout and -d apply to ${Object.keys(WORKER_ACTIONS).join(", ")}`);
  const app = await loadApp(v.app);
  await useUrls(app, v.broker, v["result-backend"]);
  if (app.broker.name === "memory") log(`warning: app "${app.name}" uses the in-process memory broker: nothing another process stored is visible`);
  // A runtime error (the broker or backend unreachable) propagates: the CLI prints it and exits 1.
  const out = await action.run(app, args, { all: v.all, limit, redrive: v.redrive, queue: v.queue, timeoutMs: (timeout ?? 1) * 1000, destination });
  console.log(v.json ? JSON.stringify(out.json) : out.text.join("\n"));
  return 0;
}

async function registered(app: Celeriac, _args: string[], { all }: Flags): Promise<Output> {
  const tasks = [...app.tasks.values()].filter((t) => all || !t.name.startsWith("celery.")).map(({ name, options: o }) => ({
    name, queue: o.queue ?? app.route(name).queue ?? app.conf.defaultQueue, rateLimit: o.rateLimit ?? null,
    timeLimit: o.timeLimit ?? null, softTimeLimit: o.softTimeLimit ?? null, maxRetries: o.maxRetries === undefined ? 3 : o.maxRetries,
    acksLate: o.acksLate ?? false, ignoreResult: o.ignoreResult ?? false,
  })).sort((a, b) => (a.name < b.name ? -1 : 1));
  // Text shows the options that differ from the defaults.
  const options = ({ rateLimit, timeLimit, softTimeLimit, maxRetries, acksLate, ignoreResult }: (typeof tasks)[number]): string =>
    [rateLimit !== null && `rateLimit=${rateLimit}`, timeLimit !== null && `timeLimit=${timeLimit}s`,
      softTimeLimit !== null && `softTimeLimit=${softTimeLimit}s`, maxRetries !== 3 && `maxRetries=${maxRetries ?? "unlimited"}`,
      acksLate && "acksLate", ignoreResult && "ignoreResult"].filter(Boolean).join(" ");
  return { json: tasks, text: table([["TASK", "QUEUE", "OPTIONS"], ...tasks.map((t) => [t.name, t.queue, options(t)])], "(no tasks registered)") };
}

async function queues(app: Celeriac, args: string[]): Promise<Output> {
  const broker = pullBroker(app, "it has no queues to count");
  const names = args.length ? [...new Set(args.flatMap((a) => a.split(",")).map((q) => q.trim()).filter(Boolean))] : app.worker().queues;
  const sizes = await Promise.all(names.map((q) => broker.size(q)));
  const text = table([["QUEUE", "WAITING"], ...names.map((q, i) => [q, String(sizes[i])])]);
  return { json: Object.fromEntries(names.map((q, i) => [q, sizes[i]])), text };
}

async function deadLetters(app: Celeriac, _args: string[], { limit, redrive, queue }: Flags): Promise<Output> {
  const broker = pullBroker(app, "it keeps no dead-letter list");
  if (redrive) {
    const moved = await broker.redrive({ limit: limit ?? Number.MAX_SAFE_INTEGER, queue });
    return { json: { redriven: moved }, text: [`redrove ${moved} dead letter${moved === 1 ? "" : "s"}${queue ? ` of queue ${queue}` : ""}`] };
  }
  const entries = await broker.deadLetters(limit ?? 20);
  const rows = entries.map((e) => ({ at: e.at, queue: e.queue, reason: e.reason, ...taskOf(e.payload), payload: e.payload }));
  const task = (r: (typeof rows)[number]): string => (r.task === null ? "(unparseable)" : `${r.task}[${r.id}]`);
  const cells = rows.map((r) => [r.at, r.queue, task(r), r.reason.replace(/\s+/g, " ")]);
  const text = table([["TIME", "QUEUE", "TASK", "REASON"], ...cells], "(no dead letters)");
  return { json: rows, text };
}

async function revoke(app: Celeriac, ids: string[]): Promise<Output> {
  await app.revoke(ids);
  const metas = await app.backend.mget(ids);
  const rows = ids.map((id, i) => ({ id, status: metas[i]?.status ?? PENDING }));
  const text = rows.map((r) => `revoked ${r.id}${r.status === REVOKED ? "" : ` (already ${r.status}: its result is kept)`}`);
  return { json: rows, text };
}

function pullBroker(app: Celeriac, why: string): PullBroker {
  if (isPullBroker(app.broker)) return app.broker;
  throw new Error(`broker ${app.broker.name} pushes messages: ${why}`);
}

