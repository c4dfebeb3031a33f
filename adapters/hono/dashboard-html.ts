/**
 * The dashboard's HTML, rendered on the server: the page shell and the live fragment the page
 * script fetches again every `pollMs`. Every value that comes from tasks, workers or messages
 * goes through `escapeHtml` (task arguments, results and tracebacks are user data).
 * @module
 */
import type { DeadRow, Snapshot, TaskRow, WorkerRow } from "./dashboard-data.ts";
import { PAGE_SCRIPT, PAGE_STYLE } from "./dashboard-assets.ts";

const ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Escape text for HTML element content and quoted attribute values. */
export function escapeHtml(v: unknown): string {
  return String(v ?? "").replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** JSON of a value, cut to `max` characters (escaping comes after). */
function short(v: unknown, max = 300): string {
  let s: string;
  try {
    s = typeof v === "string" ? v : JSON.stringify(v) ?? "";
  } catch {
    s = String(v);
  }
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

const td = (v: unknown, cls = ""): string => `<td${cls ? ` class="${cls}"` : ""}>${escapeHtml(v)}</td>`;
const ago = (now: number, epochMs: number): string => `${Math.max(0, Math.round((now - epochMs) / 1000))} s ago`;

function queues(s: Snapshot): string {
  const n = (v: number | null): string => (v === null ? "n/a" : String(v));
  const rows = s.queues.map((q) => `<tr data-queue="${escapeHtml(q.name)}">${td(q.name)}${td(q.waiting, "num waiting")}</tr>`).join("");
  return `<section id="queues"><h2>Queues</h2>
<p class="counts">delayed <b id="count-delayed">${n(s.delayed)}</b> · unacked <b id="count-unacked">${n(s.unacked)}</b> · dead <b id="count-dead">${n(s.dead)}</b></p>
<table><thead><tr><th>queue</th><th>waiting</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

// The running tasks a worker reported (`activeTasks`), as `name[id]`.
const running = (w: WorkerRow): string => (w.activeTasks ?? []).map((t) => `${t.name}[${t.id}]`).join(", ");

function worker(now: number, w: WorkerRow): string {
  const state = w.online ? "online" : "offline";
  return `<tr data-worker="${escapeHtml(w.hostname)}" data-online="${w.online}">${td(w.hostname)}<td><span class="badge ${state}">${state}</span></td>` +
    `${td(ago(now, w.timestamp * 1000))}${td(w.active, "num")}${td(running(w), "running")}${td(w.processed, "num")}${td((w.queues ?? []).join(", "))}${td(w.mode)}</tr>`;
}

function workers(s: Snapshot): string {
  const body = s.workers === null
    ? `<p class="muted">This result backend keeps no worker presences.</p>`
    : s.workers.length === 0
    ? `<p class="muted">No worker has reported yet.</p>`
    : `<table><thead><tr><th>worker</th><th>state</th><th>heartbeat</th><th>active</th><th>running</th><th>processed</th><th>queues</th><th>mode</th></tr></thead>` +
      `<tbody>${s.workers.map((w) => worker(s.now, w)).join("")}</tbody></table>`;
  return `<section id="workers"><h2>Workers</h2>${body}</section>`;
}

function outcome(t: TaskRow): string {
  if (t.progress) {
    const { current, total } = t.progress;
    return `<progress max="${escapeHtml(total)}" value="${escapeHtml(current)}"></progress> <span class="progress-text">${escapeHtml(`${current}/${total}`)}</span>`;
  }
  const result = t.result === null ? "" : `<code class="result">${escapeHtml(short(t.result))}</code>`;
  const tb = t.traceback
    ? `<details data-key="tb-${escapeHtml(t.id)}"><summary>traceback</summary><pre class="traceback">${escapeHtml(short(t.traceback, 20_000))}</pre></details>`
    : "";
  return result + tb;
}

function task(t: TaskRow): string {
  const call = t.name === null ? "" : `${t.name}(${short(t.args ?? [], 200)}${t.kwargs && Object.keys(t.kwargs).length ? `, ${short(t.kwargs, 200)}` : ""})`;
  const action = t.revocable
    ? `<button type="button" data-action="revoke" data-id="${escapeHtml(t.id)}">revoke</button>`
    : "";
  return `<tr data-task-id="${escapeHtml(t.id)}" data-state="${escapeHtml(t.state)}">${td(t.id, "id")}<td><span class="badge ${escapeHtml(t.state.toLowerCase())}">${escapeHtml(t.state)}</span></td>` +
    `${td(call, "call")}<td class="outcome">${outcome(t)}</td>${td(t.retries ?? "")}${td(t.worker ?? "")}${td(t.dateDone ?? "")}<td>${action}</td></tr>`;
}

function tasks(s: Snapshot): string {
  const body = s.tasks === null
    ? `<p class="muted">This result backend keeps no index of recent tasks.</p>`
    : `<table><thead><tr><th>id</th><th>state</th><th>call</th><th>result / progress</th><th>retries</th><th>worker</th><th>done</th><th></th></tr></thead>` +
      `<tbody>${s.tasks.map(task).join("")}</tbody></table>`;
  return `<section id="tasks"><h2>Recent tasks</h2>${body}</section>`;
}

function dead(d: DeadRow): string {
  return `<tr data-dead-id="${escapeHtml(d.id ?? "")}">${td(d.id ?? "?", "id")}${td(d.task ?? "?")}${td(short(d.args ?? "", 200))}${td(d.queue)}${td(d.reason)}${td(d.at)}</tr>`;
}

function deadLetters(s: Snapshot): string {
  const button = s.deadLetters.length ? `<button type="button" data-action="redrive">redrive all</button>` : "";
  return `<section id="dead"><h2>Dead letters ${button}</h2>` +
    (s.deadLetters.length
      ? `<table><thead><tr><th>id</th><th>task</th><th>args</th><th>queue</th><th>reason</th><th>at</th></tr></thead><tbody>${s.deadLetters.map(dead).join("")}</tbody></table>`
      : `<p class="muted">None.</p>`) +
    `</section>`;
}

/** The live part of the page (what a poll replaces). */
export function renderLive(s: Snapshot): string {
  return `<p class="muted" id="updated" data-now="${s.now}">${escapeHtml(new Date(s.now).toISOString())}</p>` +
    queues(s) + workers(s) + tasks(s) + deadLetters(s);
}

/** The whole page; `nonce` is the CSP nonce of its one style and one script. */
export function renderPage(s: Snapshot, opts: { base: string; pollMs: number; nonce: string }): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,"><title>celeriac · ${escapeHtml(s.app)}</title><style nonce="${opts.nonce}">${PAGE_STYLE}</style></head>
<body data-base="${escapeHtml(opts.base)}" data-poll-ms="${opts.pollMs}"><header><h1>celeriac · ${escapeHtml(s.app)}</h1><p id="flash" role="status"></p></header>
<main id="live">${renderLive(s)}</main><script nonce="${opts.nonce}">${PAGE_SCRIPT}</script></body></html>`;
}
