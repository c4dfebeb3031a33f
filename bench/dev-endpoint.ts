/**
 * The local Upstash endpoint (`celeriac dev`) under abuse, each on a redis-server of its own:
 * peak RSS of the endpoint process for one 300k-command pipeline, and how long one infinite
 * EVAL keeps a following PING from being answered.
 *
 *   npx tsx bench/dev-endpoint.ts        (needs redis-server on PATH)
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import process from "node:process";
import { setTimeout as sleep } from "node:timers/promises";

const COMMANDS = Number(process.env.BENCH_PIPELINE_N ?? 300_000);
const GIVE_UP_MS = 30_000;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function up(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      await fetch(url);
      return;
    } catch {
      await sleep(100);
    }
  }
  throw new Error(`${url} did not come up`);
}

async function main(): Promise<void> {
  const redisPort = await freePort();
  const redis = spawn("redis-server", ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  const port = await freePort();
  const token = "bench-token";
  const dev: ChildProcess = spawn(process.execPath, ["--import", "tsx", "workers/node/cli.ts", "dev", "--port", String(port),
    "--redis-url", `redis://127.0.0.1:${redisPort}`, "--token", token], { stdio: "ignore" });
  const url = `http://127.0.0.1:${port}`;
  const post = (path: string, body: unknown, signal?: AbortSignal): Promise<Response> =>
    fetch(url + path, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: JSON.stringify(body), signal });
  try {
    await up(url);
    const base = peakRssMb(dev.pid!);
    const cmds = Array.from({ length: COMMANDS }, (_, i) => ["SET", `bench:${i}`, "v"]);
    const t0 = performance.now();
    const res = await post("/pipeline", cmds).catch((e: Error) => ({ status: e.message }));
    const s = ((performance.now() - t0) / 1000).toFixed(2);
    console.log(`pipeline of ${COMMANDS} commands: HTTP ${res.status} in ${s} s; endpoint peak RSS ${base.toFixed(0)} MB → ${peakRssMb(dev.pid!).toFixed(0)} MB`);

    const started = performance.now();
    const evalReq = post("/", ["EVAL", "while true do end", "0"], AbortSignal.timeout(GIVE_UP_MS)).then(async (r) => `${r.status} ${await r.text()}`, (e: Error) => e.name);
    await sleep(200);
    const ping = await post("/", ["PING"], AbortSignal.timeout(GIVE_UP_MS)).then((r) => r.status, (e: Error) => e.name);
    const recovered = ((performance.now() - started) / 1000).toFixed(2);
    console.log(`infinite EVAL: a PING sent 0.2 s later answered ${ping} after ${recovered} s; the EVAL got ${(await evalReq).slice(0, 120)}`);
  } finally {
    dev.kill("SIGKILL");
    redis.kill("SIGKILL");
  }
}

await main();
