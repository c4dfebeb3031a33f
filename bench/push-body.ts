/**
 * Peak RSS of a process serving `worker.fetch` while 8 clients each POST a 50 MB body at once
 * (issue #15 item 4). The server runs in a child process (so the senders' memory does not
 * count) and samples its RSS every 10 ms.
 *
 *   npx tsx bench/push-body.ts            BODY_MB=50 CLIENTS=8
 */
import { spawn } from "node:child_process";
import { request } from "node:http";
import process from "node:process";
import { fileURLToPath } from "node:url";

const MB = Number(process.env.BODY_MB ?? 50);
const CLIENTS = Number(process.env.CLIENTS ?? 8);

async function server(): Promise<void> {
  const { Celeriac } = await import("../mod.ts");
  const { serveFetch } = await import("../workers/node/http-bridge.ts");
  const app = new Celeriac("body-bench");
  app.task("tasks.noop", () => null);
  const worker = app.worker({ http: { insecureNoVerify: true } } as never);
  let peak = process.memoryUsage().rss;
  setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10).unref();
  const base = process.memoryUsage().rss;
  const served = await serveFetch(async (req) => {
    if (new URL(req.url).pathname === "/rss") return Response.json({ base, peak });
    return worker.fetch(req);
  });
  process.stdout.write(`${served.port}\n`);
}

function post(port: number, bytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ port, host: "127.0.0.1", method: "POST", path: "/", headers: { "content-type": "application/json" } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    const chunk = Buffer.alloc(1 << 20, 0x20);
    let sent = 0;
    const pump = (): void => {
      while (sent < bytes) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once("drain", pump);
      }
      req.end();
    };
    pump();
  });
}

async function main(): Promise<void> {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), "server"], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve) => child.stdout!.once("data", (d) => resolve(Number(String(d).trim()))));
  try {
    const statuses = await Promise.all(Array.from({ length: CLIENTS }, () => post(port, MB << 20)));
    const rss = await (await fetch(`http://127.0.0.1:${port}/rss`)).json() as { base: number; peak: number };
    const mb = (n: number): string => `${(n / 2 ** 20).toFixed(0)} MB`;
    console.log(`${CLIENTS} × ${MB} MB bodies → statuses ${[...new Set(statuses)].join(",")}; RSS idle ${mb(rss.base)}, peak ${mb(rss.peak)}`);
  } finally {
    child.kill();
  }
}

if (process.argv[2] === "server") await server();
else await main();
