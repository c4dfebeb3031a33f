/**
 * What `celeriac worker`, `beat`, `events`, `purge` and `result` share: Celery's `-A`, `-b`,
 * `--result-backend`, `-l` and `--json` flags, the app set-up, and the log lines of errors and
 * task events.
 * @module
 */
import type { Celeriac, TaskEvent } from "../../mod.ts";
import { loadApp } from "./app-loader.ts";
import { useUrls } from "./broker-url.ts";
import { log, setJsonLogs, setLogLevel } from "./log.ts";

/** Help text of the shared flags. */
export const APP_FLAG = `  -A, --app MODULE[:EXPORT]  module exporting your Celeriac app (path from the current directory;
                             export "app", else "default", else the module's only Celeriac export)
  -b, --broker URL           use this broker instead of the app's (redis://, amqp://, or Upstash https://TOKEN@host)
  --result-backend URL       use this result backend instead of the app's (redis:// or Upstash https://TOKEN@host)
  -l, --loglevel LEVEL       debug, info (default), warning, error or critical
  --json                     log lines on stderr as JSON objects (one per line)`;

/** Celery's spellings shared by the app commands. */
export const COMMON = {
  app: { type: "string", short: "A" }, broker: { type: "string", short: "b" }, "result-backend": { type: "string" },
  loglevel: { type: "string", short: "l" }, json: { type: "boolean" },
} as const;

/** Log level and format, the app from `-A`, `-b`/`--result-backend` applied. */
export async function setUp(v: { app?: string; broker?: string; "result-backend"?: string; loglevel?: string; json?: boolean }): Promise<Celeriac> {
  setLogLevel(v.loglevel);
  setJsonLogs(v.json);
  const app = await loadApp(v.app);
  await useUrls(app, v.broker, v["result-backend"]);
  await useUpstashSse(app);
  warnIfInProcess(app);
  return app;
}

/**
 * Upstash brokers and backends built without `sse` get `upstashSse`, so the CLI's idle worker
 * and `result` wait on SSE as they always did (bundles for the edge leave it out unless asked).
 */
async function useUpstashSse(app: Celeriac): Promise<void> {
  type Part = { name: string; useSse?: (sse: unknown) => void };
  const parts = [app.broker, app.backend].filter((p) => p.name === "upstash-redis" && typeof (p as Part).useSse === "function");
  if (!parts.length) return;
  const { upstashSse } = await import("../../adapters/upstash-redis/mod.ts");
  for (const p of parts) (p as Part).useSse!(upstashSse);
}

/** A warning when the app's broker is the in-process one. */
export function warnIfInProcess(app: Celeriac): void {
  if (app.broker.name === "memory") log(`warning: app "${app.name}" uses the in-process memory broker: no other process sees its queues`, "warning");
}

/** Logs an error the command survived. */
export const logError = (what: string) => (err: unknown): void => {
  const cause = (err as { cause?: unknown })?.cause;
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  log(`${what} error: ${text}${cause instanceof Error && !text.includes(cause.message) ? ` (cause: ${cause.message})` : ""}`, "error");
};

// Celery's worker log lines for the task events that matter (with --json: the event's fields too).
export function logEvent(e: TaskEvent): void {
  const t = `Task ${e.name}[${e.uuid}]`;
  const f = { event: e.type, uuid: e.uuid, task: e.name };
  if (e.type === "task-succeeded") log(`${t} succeeded in ${e.runtime!.toFixed(3)}s: ${JSON.stringify(e.result)?.slice(0, 200)}`, "info", { ...f, runtime: e.runtime });
  else if (e.type === "task-failed") log(`${t} raised unexpected: ${e.exception}`, "error", { ...f, exception: e.exception });
  else if (e.type === "task-retried") log(`${t} retry: retry at ${e.eta}: ${e.exception}`, "info", { ...f, eta: e.eta });
  else if (e.type === "task-revoked") log(`Discarding ${e.reason} task: ${e.name}[${e.uuid}]`, "info", { ...f, reason: e.reason });
  else if (e.type === "task-rejected") log(`Rejected message to the dead-letter list: ${e.reason}`, "warning", { ...f, reason: e.reason });
  else if (e.type === "task-received") log(`${t} received`, "debug", f);
}
