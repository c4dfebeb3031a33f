/**
 * `npm run bench`: celeriac (HTTP through `@upstash/redis` and the local endpoint, TCP Redis via
 * adapters/redis, the memory adapter) and BullMQ side by side on one redis-server this bench
 * starts (port BENCH_REDIS_PORT, default 6393; HTTP, TCP and BullMQ each on DBs of their own). Each
 * system runs in a process of its own, the systems interleaved, BENCH_REPS times; the table
 * shows medians. Requests are counted at the endpoint, Redis commands by MONITOR (a script call
 * is one command; what scripts call inside is not counted), idle traffic over BENCH_IDLE_S.
 *
 *   BENCH_REPS=3 BENCH_N=5000 BENCH_SEQ_N=1000 BENCH_LAT_N=500 BENCH_IDLE_S=60 BENCH_HEAP_N=50000
 *   BENCH_LONG=1: 5 repetitions of 20 000 tasks
 */
import { fork, spawn } from "node:child_process";
import process from "node:process";
import { Redis } from "ioredis";
import { startDevServer } from "../workers/node/dev-server.ts";
import { printTable } from "./compare-table.ts";

const LONG = process.env.BENCH_LONG === "1";
const REPS = Number(process.env.BENCH_REPS ?? (LONG ? 5 : 3));
const env: Record<string, string> = {
  BENCH_N: process.env.BENCH_N ?? (LONG ? "20000" : "5000"),
  BENCH_SEQ_N: process.env.BENCH_SEQ_N ?? "1000",
  BENCH_LAT_N: process.env.BENCH_LAT_N ?? "500",
  BENCH_IDLE_S: process.env.BENCH_IDLE_S ?? "60",
  BENCH_HEAP_N: process.env.BENCH_HEAP_N ?? "50000",
  BENCH_REDIS_PORT: process.env.BENCH_REDIS_PORT ?? "6393",
};
const SYSTEMS = ["bullmq", "http", "tcp", "memory"];
const DBS: Record<string, number> = { http: 1, tcp: 2, bullmq: 3 };
// The idle workers run beside the counting runs, each on a DB (and endpoint) of its own.
const IDLE_DBS: Record<string, number> = { http: 4, tcp: 5, bullmq: 6 };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type Snapshot = { requests: number; commands: number; usedMemory: number };
type Marks = Record<string, Snapshot>;

async function main(): Promise<void> {
  const port = env.BENCH_REDIS_PORT!;
  const server = spawn("redis-server", ["--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  const url = `redis://127.0.0.1:${port}`;
  let admin: Redis | undefined;
  try {
    for (let i = 0; !admin && i < 100; i++) {
      const c = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      c.on("error", () => {});
      await c.connect().then(() => (admin = c), () => sleep(50));
    }
    if (!admin) throw new Error(`redis-server did not come up on ${url} (is redis-server on PATH?)`);
    const dev = await startDevServer({ port: 0, redisUrl: `${url}/${DBS.http}` });
    const idleDev = await startDevServer({ port: 0, redisUrl: `${url}/${IDLE_DBS.http}` });
    const counted: Record<number, number> = {};
    let monitor: Awaited<ReturnType<Redis["monitor"]>> | undefined;
    const info = admin;
    const snapshot = async (db: number, endpoint: typeof dev): Promise<Snapshot> => {
      await sleep(200); // let MONITOR lines of commands already answered arrive
      const mem = /used_memory:(\d+)/.exec(await info.info("memory"));
      return { requests: endpoint.stats.requests, commands: counted[db] ?? 0, usedMemory: Number(mem?.[1] ?? NaN) };
    };
    const runCase = (sys: string, mode: string): Promise<{ data: Record<string, number>; marks: Marks }> =>
      new Promise((resolve, reject) => {
        const marks: Marks = {};
        const execArgv = ["--import", "tsx", ...(mode === "heap" ? ["--expose-gc"] : [])];
        const endpoint = mode === "idle" ? idleDev : dev;
        const db = (mode === "idle" ? IDLE_DBS : DBS)[sys] ?? -1;
        const own = { BENCH_DB: String(db), BENCH_HTTP_URL: endpoint.url, BENCH_HTTP_TOKEN: endpoint.token };
        const child = fork(new URL("./compare-case.ts", import.meta.url).pathname, [sys, mode], { execArgv, env: { ...process.env, ...env, ...own } });
        let data: Record<string, number> | undefined;
        child.on("message", async (m: { type: string; id: number; name: string; data: Record<string, number> }) => {
          if (m.type === "result") data = m.data;
          if (m.type !== "mark") return;
          marks[m.name] = await snapshot(db, endpoint);
          child.send({ type: "marked", id: m.id });
        });
        child.on("exit", (code) => (data ? resolve({ data, marks }) : reject(new Error(`${sys} ${mode} exited ${code}`))));
      });

    const speed: Record<string, Record<string, number>[]> = {};
    for (let rep = 0; rep < REPS; rep++) {
      for (let i = 0; i < SYSTEMS.length; i++) {
        const sys = SYSTEMS[(i + rep) % SYSTEMS.length]!;
        process.stderr.write(`rep ${rep + 1}/${REPS}: ${sys} ...\n`);
        (speed[sys] ??= []).push((await runCase(sys, "speed")).data);
      }
    }
    monitor = await info.monitor();
    monitor.on("monitor", (_t: string, _args: string[], source: string, db: string) => {
      if (source !== "lua") counted[Number(db)] = (counted[Number(db)] ?? 0) + 1;
    });
    process.stderr.write(`idle ${env.BENCH_IDLE_S} s (http, tcp and bullmq at once, DBs of their own) beside the counting runs ...\n`);
    const idleRuns = Promise.all(["http", "tcp", "bullmq"].map(async (s) => [s, await runCase(s, "idle")] as const));
    const counts: Record<string, { data: Record<string, number>; marks: Marks }> = {};
    const heaps: Record<string, { data: Record<string, number>; marks: Marks }> = {};
    for (const sys of SYSTEMS) {
      process.stderr.write(`counting ${sys} ...\n`);
      counts[sys] = await runCase(sys, "count");
      heaps[sys] = await runCase(sys, "heap");
    }
    const idle = Object.fromEntries(await idleRuns);
    monitor.disconnect();
    printTable({ reps: REPS, env, speed, counts, heaps, idle });
    await dev.close();
    await idleDev.close();
  } finally {
    admin?.disconnect();
    server.kill("SIGTERM");
  }
}

await main();
