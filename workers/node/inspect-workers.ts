/**
 * `celeriac inspect ping|active|reserved|scheduled|stats|active_queues|revoked`: Celery's
 * `celery inspect` for workers. Long-running workers answer over the pidbox (brokers whose
 * `events.broadcast` exists: TCP Redis; Python Celery workers answer too); request-triggered
 * workers cannot listen, so what they recorded with `backend.recordWorker` is shown for every
 * worker that did not answer (its `source` is `"stored"`).
 * @module
 */
import { broadcastControl, canBroadcast, type Celeriac, type WorkerInfo } from "../../mod.ts";
import type { Output } from "./inspect-format.ts";

/** The flags of the worker actions. */
export interface WorkerFlags {
  timeoutMs?: number;
  destination?: string[];
}

type Method = "ping" | "active" | "reserved" | "scheduled" | "stats" | "active_queues" | "revoked";

/** One worker's answer. */
interface Answer { hostname: string; source: "pidbox" | "stored"; reply: unknown }

/** What a presence record can tell for each method (request-triggered workers keep no queue of their own). */
function fromRecord(method: Method, w: WorkerInfo, now: number): unknown {
  const online = now / 1000 < w.timestamp + 2 * w.freq;
  switch (method) {
    case "ping": return { ok: online ? "pong" : "offline", mode: w.mode, last_seen: new Date(w.timestamp * 1000).toISOString() };
    case "active": return (w.activeTasks ?? []).map((t) => ({ ...t, hostname: w.hostname }));
    case "stats": return { processed: w.processed, active: w.active, freq: w.freq, mode: w.mode, queues: w.queues, sw_ident: w.sw_ident, sw_ver: w.sw_ver, timestamp: w.timestamp, ...(w.pid != null ? { pid: w.pid } : {}) };
    case "active_queues": return w.queues.map((name) => ({ name }));
    default: return [];
  }
}

async function ask(app: Celeriac, method: Method, flags: WorkerFlags): Promise<Answer[]> {
  const answers: Answer[] = [];
  if (canBroadcast(app.broker)) {
    const replies = await broadcastControl(app.broker, method, { timeoutMs: flags.timeoutMs, destination: flags.destination });
    for (const [hostname, reply] of Object.entries(replies)) answers.push({ hostname, source: "pidbox", reply });
  }
  const stored = app.backend.workers ? await app.backend.workers() : [];
  const now = Date.now();
  for (const w of stored) {
    if (answers.some((a) => a.hostname === w.hostname)) continue;
    if (flags.destination && !flags.destination.includes(w.hostname)) continue;
    answers.push({ hostname: w.hostname, source: "stored", reply: fromRecord(method, w, now) });
  }
  if (!answers.length) {
    const how = canBroadcast(app.broker) ? `no worker replied within ${(flags.timeoutMs ?? 1000) / 1000} s` : `broker ${app.broker.name} cannot broadcast to workers`;
    throw new Error(`${how}, and no worker recorded its presence in backend ${app.backend.name} (workers record it with -E or { presence: true })`);
  }
  return answers.sort((a, b) => (a.hostname < b.hostname ? -1 : 1));
}

function textOf(method: Method, answers: Answer[]): string[] {
  const lines: string[] = [];
  for (const { hostname, source, reply } of answers) {
    lines.push(`-> ${hostname}: ${source === "pidbox" ? "OK" : "recorded"}${source === "stored" ? " (request-triggered or not listening; last presence record)" : ""}`);
    if (method === "ping") {
      const r = reply as { ok?: string; last_seen?: string };
      lines.push(`   ${r.ok ?? JSON.stringify(reply)}${r.last_seen ? ` (last seen ${r.last_seen})` : ""}`);
    } else if (Array.isArray(reply) && method !== "active_queues" && method !== "revoked") {
      if (!reply.length) lines.push("   - empty -");
      for (const t of reply as { id?: string; name?: string; args?: unknown; time_start?: number | null; eta?: string; request?: { id: string; name: string } }[]) {
        const task = t.request ?? t;
        lines.push(`   * ${task.name}[${task.id}]${t.args !== undefined ? ` args=${String(t.args)}` : ""}${t.eta ? ` eta=${t.eta}` : ""}${t.time_start ? ` started ${new Date(t.time_start * 1000).toISOString()}` : ""}`);
      }
    } else lines.push(...JSON.stringify(reply, null, 2).split("\n").map((l) => `   ${l}`));
  }
  lines.push("", `${answers.length} node${answers.length === 1 ? "" : "s"} ${method === "ping" ? "online or recorded" : "answered"}.`);
  return lines;
}

const action = (method: Method) => ({
  args: "none" as const,
  async run(app: Celeriac, _args: string[], flags: WorkerFlags): Promise<Output> {
    const answers = await ask(app, method, flags);
    return { json: Object.fromEntries(answers.map((a) => [a.hostname, { source: a.source, reply: a.reply }])), text: textOf(method, answers) };
  },
});

/** The worker actions of `celeriac inspect`, by name. */
export const WORKER_ACTIONS = {
  ping: action("ping"), active: action("active"), reserved: action("reserved"), scheduled: action("scheduled"),
  stats: action("stats"), active_queues: action("active_queues"), revoked: action("revoked"),
};
