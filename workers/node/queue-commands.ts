/**
 * `celeriac purge` (Celery's `celery purge`: delete the waiting messages of queues, only with
 * `--force`) and `celeriac result` (Celery's `celery result`: one task's stored result).
 * @module
 */
import { parseArgs } from "node:util";
import { isPullBroker, PENDING, type Celeriac } from "../../mod.ts";
import { childId } from "../../src/result.ts";
import { APP_FLAG, COMMON, setUp } from "./app-setup.ts";
import { UsageError, type Subcommand } from "./cli-kit.ts";
import { resultText, type Output } from "./inspect-format.ts";

/** `celeriac purge -A MODULE [-Q a,b] --force`. */
export const purgeCommand: Subcommand = {
  summary: "Delete the waiting messages of queues (needs --force)",
  usage: `celeriac purge -A MODULE[:EXPORT] [-Q a,b] --force

${APP_FLAG}
  -Q, --queues a,b           queues to empty (default: the queues a worker of the app consumes)
  -f, --force                really delete; without it nothing is deleted and the count is shown

Delayed (ETA) messages, claimed ones and dead letters are kept. Exit codes: 0 purged, 1 a runtime
error (broker unreachable, a broker that cannot purge), 2 bad usage or no --force.`,
  run: runPurge,
};

/** `celeriac result -A MODULE TASK_ID [--traceback]`. */
export const resultCommand: Subcommand = {
  summary: "Print a task's stored result (or its traceback)",
  usage: `celeriac result -A MODULE[:EXPORT] TASK_ID [--traceback]

${APP_FLAG}
  --traceback                print the stored traceback instead of the result

Prints the result as JSON (a failure as Celery's exception repr, PENDING when nothing is stored).
Exit codes: 0 printed, 1 a runtime error (backend unreachable), 2 bad usage.`,
  run: runResult,
};

async function runPurge(argv: string[]): Promise<number> {
  const { values: v } = parseArgs({
    args: argv,
    options: { ...COMMON, queues: { type: "string", short: "Q", multiple: true }, force: { type: "boolean", short: "f" } },
  });
  const named = v.queues?.flatMap((q) => q.split(",")).map((q) => q.trim()).filter(Boolean);
  if (named && !named.length) throw new UsageError("-Q needs at least one queue name");
  const app = await setUp(v);
  const broker = app.broker;
  if (!isPullBroker(broker)) throw new Error(`broker ${broker.name} pushes messages: it has no queues to purge`);
  if (!broker.purge) throw new Error(`broker ${broker.name} cannot purge queues`);
  const queues = named ?? app.worker().queues;
  if (!v.force) {
    const sizes = await Promise.all(queues.map((q) => broker.size(q)));
    const n = sizes.reduce((a, b) => a + b, 0);
    throw new UsageError(`would delete ${n} waiting message${n === 1 ? "" : "s"} from ${queues.join(", ")}: nothing deleted; run again with --force`, false);
  }
  const counts = await Promise.all(queues.map((q) => broker.purge!(q)));
  const n = counts.reduce((a, b) => a + b, 0);
  console.log(`purged ${n} message${n === 1 ? "" : "s"} from ${queues.map((q, i) => `${q} (${counts[i]})`).join(", ")}`);
  return 0;
}

async function runResult(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { ...COMMON, traceback: { type: "boolean" } } });
  if (positionals.length !== 1) throw new UsageError(positionals.length ? "give one task id" : "which task? give its id");
  const app = await setUp(v);
  const meta = await app.AsyncResult(positionals[0]).meta();
  if (v.traceback) console.log(meta?.traceback?.trimEnd() ?? "(no traceback)");
  else if (!meta) console.log(PENDING);
  else console.log(resultText(meta.result).replace(/^(result|exception): /, ""));
  return 0;
}

/** `inspect result`: state, result, date, children and traceback of task ids. */
export async function results(app: Celeriac, ids: string[]): Promise<Output> {
  const metas = await Promise.all(ids.map((id) => app.AsyncResult(id).meta()));
  const views = ids.map((id, i) => ({
    id, status: metas[i]?.status ?? PENDING, result: metas[i]?.result ?? null, traceback: metas[i]?.traceback ?? null,
    date_done: metas[i]?.date_done ?? null, children: (metas[i]?.children ?? []).map(childId).filter((c) => c !== null),
  }));
  const text = views.flatMap((r) => [
    `${r.id}  ${r.status}${r.date_done ? `  done ${r.date_done}` : ""}`,
    ...(r.result === null ? [] : [`  ${resultText(r.result)}`]),
    ...(r.children.length ? [`  children: ${r.children.join(", ")}`] : []),
    ...(r.traceback ? r.traceback.trimEnd().split("\n").map((l) => `  | ${l}`) : []),
  ]);
  return { json: views, text };
}

