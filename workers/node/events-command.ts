/**
 * `celeriac events`: Celery's `celery events --dump`, live: every worker and task event on the
 * broker's event channel (celeriac and Python Celery workers alike), one human-readable line
 * each (or one JSON object with `--json`), until SIGINT/SIGTERM.
 * @module
 */
import { parseArgs } from "node:util";
import { decodeEvents, type CeleryEvent } from "../../mod.ts";
import { APP_FLAG, COMMON, setUp } from "./app-setup.ts";
import type { Subcommand } from "./cli-kit.ts";
import { log } from "./log.ts";
import { stopOnSignals } from "./signals.ts";

/** `celeriac events -A MODULE [-b URL] [--json]`. */
export const eventsCommand: Subcommand = {
  summary: "Print Celery's worker and task events live (like celery events --dump)",
  usage: `celeriac events -A MODULE[:EXPORT] [-b URL] [--json]

${APP_FLAG}
  (with --json, stdout carries one JSON object per event instead of text lines)

Needs a broker that can subscribe to events: TCP Redis (-b redis://host:6379/<db>). Upstash's
REST API has no pattern subscriptions. Workers publish events when started with -E.
Exit codes: 0 stopped by SIGINT/SIGTERM, 1 a runtime error (broker unreachable, no event
subscription on this broker), 2 bad usage.`,
  run: runEvents,
};

const SKIP = new Set(["type", "hostname", "timestamp", "uuid", "name", "clock", "utcoffset", "pid", "local_received"]);
const HUMAN: Record<string, string> = { "worker-online": "online", "worker-heartbeat": "heartbeat", "worker-offline": "offline" };

/** One event as a line: `host [time] task succeeded: name[id] result=3 runtime=0.01`. */
export function formatEvent(e: CeleryEvent, names: Map<string, string>): string {
  const uuid = typeof e.uuid === "string" ? e.uuid : null;
  if (uuid && typeof e.name === "string") names.set(uuid, e.name);
  const when = new Date(Number(e.timestamp) * 1000).toISOString();
  const kind = HUMAN[e.type] ?? e.type.replace(/-/g, " ");
  const meta = e.meta as { current?: unknown; total?: unknown } | null;
  if (e.type === "task-progress" && typeof meta?.current === "number" && typeof meta.total === "number") {
    const pct = meta.total > 0 ? ` (${Math.round((100 * meta.current) / meta.total)}%)` : "";
    return `${e.hostname} [${when}] task progress: ${names.get(uuid!) ?? "?"}[${uuid}] ${String(e.state)} ${meta.current}/${meta.total}${pct}`;
  }
  const fields = Object.keys(e).filter((k) => !SKIP.has(k)).sort()
    .map((k) => `${k}=${typeof e[k] === "string" ? e[k] : JSON.stringify(e[k])}`).join(", ");
  const task = uuid ? ` ${names.get(uuid) ?? "?"}[${uuid}]` : "";
  return `${e.hostname} [${when}] ${kind}:${task}${fields ? ` ${fields}` : ""}`;
}

async function runEvents(argv: string[]): Promise<number> {
  const { values: v } = parseArgs({ args: argv, options: { ...COMMON } });
  const app = await setUp(v);
  const channel = app.broker.events;
  if (!channel?.subscribeEvents) {
    throw new Error(`broker ${app.broker.name} cannot subscribe to events${app.broker.name === "upstash-redis" ? " (Upstash's REST API has no pattern subscriptions)" : ""}: use -b redis://host:6379/<db>`);
  }
  const names = new Map<string, string>();
  const stop = stopOnSignals("events", "stopping");
  const unsubscribe = await channel.subscribeEvents((m) => {
    for (const e of decodeEvents(m.payload)) console.log(v.json ? JSON.stringify(e) : formatEvent(e, names));
  });
  log(`events: listening on broker ${app.broker.name} (Ctrl+C to stop)`);
  await new Promise<void>((resolve) => stop.signal.addEventListener("abort", () => resolve(), { once: true }));
  await unsubscribe();
  await app.broker.close?.();
  return 0;
}
