/** The one table `bench/compare.ts` prints: medians per system, ratios against BullMQ. */
import process from "node:process";

type Data = Record<string, number>;
type Snap = { requests: number; commands: number; usedMemory: number };
type Case = { data: Data; marks: Record<string, Snap> };

export interface Measured {
  reps: number;
  env: Record<string, string>;
  speed: Record<string, Data[]>;
  counts: Record<string, Case>;
  heaps: Record<string, Case>;
  idle: Record<string, Case>;
}

const COLS = ["http", "tcp", "memory", "bullmq"];

function median(xs: number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const fmt = (x: number, digits = 0): string =>
  Number.isFinite(x) ? x.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits }) : "—";
const ratio = (a: number, b: number): string => (Number.isFinite(a) && Number.isFinite(b) && b ? `${(a / b).toFixed(2)}×` : "—");

function delta(c: Case | undefined, phase: string, field: keyof Snap): number {
  const a = c?.marks[`${phase}:0`];
  const b = c?.marks[`${phase}:1`];
  return a && b ? b[field] - a[field] : NaN;
}

export function printTable(m: Measured): void {
  const N = Number(m.env.BENCH_N);
  const HEAP_N = Number(m.env.BENCH_HEAP_N);
  const med = (sys: string, key: string): number => median((m.speed[sys] ?? []).map((d) => d[key] ?? NaN));
  const rows: [string, Record<string, number>, number][] = [];
  const add = (label: string, get: (sys: string) => number, digits = 0): void => {
    rows.push([label, Object.fromEntries(COLS.map((c) => [c, get(c)])), digits]);
  };
  add("processed/s, defaults (celeriac run() no options; BullMQ Worker)", (s) => med(s, "process:defaults"));
  add("processed/s, drain c50 prefetch 500 (BullMQ Worker c50)", (s) => med(s, s === "bullmq" ? "process:c50" : "process:drain-c50"));
  add("processed/s, run() c50 (BullMQ Worker c50)", (s) => med(s, s === "bullmq" ? "process:c50" : "process:run-c50"));
  add("processed/s, I/O-bound 5 ms tasks, defaults", (s) => med(s, "process:io-defaults"));
  add("processed/s, I/O-bound 5 ms tasks, run() c50 (BullMQ Worker c50)", (s) => med(s, s === "bullmq" ? "process:io-c50" : "process:io-run-c50"));
  add("enqueue/s, bulk of 1000 (publish / addBulk)", (s) => med(s, "enqueueBulk"));
  add("enqueue/s, sequential (delay() / add loop)", (s) => med(s, "enqueueSeq"));
  add(`send→result p50 ms, ${m.env.BENCH_LAT_N} sequential, defaults`, (s) => med(s, "p50"), 2);
  add("send→result p95 ms", (s) => med(s, "p95"), 2);
  add("send→result p99 ms", (s) => med(s, "p99"), 2);
  const perTask = (phase: string, field: keyof Snap, tasks: (s: string) => number) => (s: string): number =>
    s === "memory" || (field === "requests" && s !== "http") ? NaN : delta(m.counts[s], phase, field) / tasks(s);
  add("HTTP requests per task, enqueue bulk", perTask("enqueued", "requests", () => N), 3);
  add("HTTP requests per task, process (defaults)", perTask("process", "requests", (s) => m.counts[s]?.data.tasks ?? NaN), 3);
  add("Redis commands per task, enqueue bulk", perTask("enqueued", "commands", () => N), 3);
  add("Redis commands per task, process (defaults)", perTask("process", "commands", (s) => m.counts[s]?.data.tasks ?? NaN), 3);
  const perMin = (field: keyof Snap) => (s: string): number =>
    s === "memory" || (field === "requests" && s !== "http") ? NaN : (delta(m.idle[s], "idle", field) / (m.idle[s]?.data.seconds ?? NaN)) * 60;
  add(`idle HTTP requests per minute (over ${m.env.BENCH_IDLE_S} s)`, perMin("requests"), 1);
  add("idle Redis commands per minute", perMin("commands"), 1);
  add("bytes per queued message (memory: JS heap; else Redis used_memory)", (s) =>
    s === "memory" ? m.heaps[s]?.data.bytesPerQueued ?? NaN : delta(m.heaps[s], "heap", "usedMemory") / HEAP_N);
  add(`memory: claim time with ${HEAP_N} far-future ETAs ÷ with none`, (s) => (s === "memory" ? m.heaps[s]?.data.delayedSlowdown ?? NaN : NaN), 2);

  const head = ["metric", "celeriac HTTP", "celeriac TCP", "celeriac memory", "BullMQ", "HTTP÷BullMQ", "TCP÷BullMQ"];
  const body = rows.map(([label, v, d]) => [label, ...COLS.map((c) => fmt(v[c]!, d)), ratio(v.http!, v.bullmq!), ratio(v.tcp!, v.bullmq!)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => (i ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(" | ")} |`;
  console.log(`\nceleriac vs BullMQ: ${N} no-op tasks per processing run, medians of ${m.reps} interleaved repetitions (Node ${process.version})\n`);
  console.log([line(head), `|${widths.map((w, i) => (i ? "-".repeat(w + 1) + ":" : "-".repeat(w + 2))).join("|")}|`, ...body.map(line)].join("\n"));
  for (const [label, key] of [["defaults", "defaults"], ["drain c50 / Worker c50", "drain-c50"], ["run() c50 / Worker c50", "run-c50"]]) {
    const per = COLS.map((c) => `${c} ${(m.speed[c] ?? []).map((d) => fmt(d[`process:${c === "bullmq" && key !== "defaults" ? "c50" : key}`] ?? NaN)).join("/")}`);
    console.log(`${label === "defaults" ? "\n" : ""}processed/s per repetition, ${label}: ${per.join("; ")}`);
  }
}
