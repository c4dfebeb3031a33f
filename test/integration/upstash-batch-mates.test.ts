import { spawn, type ChildProcess } from "node:child_process";
import process from "node:process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Celeriac } from "../../mod.ts";
import { upstashRedis } from "../../adapters/upstash-redis/mod.ts";
import { startUpstash, type UpstashEnv } from "../support/upstash.ts";

// #15 item 2 with real processes on real Redis: the short batch-mates of a long task must not
// be redelivered to a second worker while the first is healthy. Both workers' apps run on manual
// clocks the test moves together past the visibility timeout, in steps shorter than it, each
// followed by the first worker's extend at the new time and one claim by the second worker, so
// no step depends on how fast the machine is. Executions are counted.
let env: UpstashEnv;

beforeAll(async () => {
  env = await startUpstash("batch-mates");
});

afterAll(async () => {
  await env?.close();
});

const VISIBILITY_S = 3;

interface Proc {
  child: ChildProcess;
  lines: string[];
  /** Resolve once `pred` holds for the lines printed so far (reject at `timeoutMs` or exit). */
  until(pred: (lines: string[]) => boolean, timeoutMs?: number): Promise<void>;
  send(text: string): void;
  exited: Promise<unknown>;
}

// The workers' clocks start an hour ahead of the brokers' own: only the `now` they pass counts.
const CLOCK_START = Date.now() + 3_600_000;

function worker(mode: "drain" | "run" | "poll", prefix: string): Proc {
  const child = spawn(process.execPath, ["--import", "tsx", "test/support/upstash-batch-worker.ts"], {
    env: {
      ...process.env, UPSTASH_REDIS_REST_URL: env.server.url, UPSTASH_REDIS_REST_TOKEN: env.server.token,
      CELERIAC_REDIS_PREFIX: prefix, VISIBILITY_S: String(VISIBILITY_S), MODE: mode,
      CLOCK_START: String(CLOCK_START),
    },
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let buf = "";
  child.stdout!.on("data", (b: Buffer) => {
    buf += b.toString();
    const parts = buf.split("\n");
    buf = parts.pop()!;
    lines.push(...parts);
    for (const w of [...waiters]) w();
  });
  const exited = new Promise((r) => child.once("exit", r));
  return {
    child, lines, exited,
    send: (text) => void child.stdin!.write(`${text}\n`),
    until: (pred, timeoutMs = 30_000) => new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`${mode} worker: condition not met; printed ${JSON.stringify(lines)}`)), timeoutMs);
      const check = (): void => void (pred(lines) && done());
      const done = (err?: Error): void => {
        clearTimeout(timer);
        waiters.delete(check);
        child.off("exit", onExit);
        err ? reject(err) : resolve();
      };
      const onExit = (code: number | null): void => done(new Error(`${mode} worker exited (${code}); printed ${JSON.stringify(lines)}`));
      waiters.add(check);
      child.once("exit", onExit);
      check();
    }),
  };
}

const ran = (lines: string[]): string[] => lines.filter((l) => l.startsWith("ran ")).map((l) => l.slice(4));

describe.each(["drain", "run"] as const)("upstash-redis batch-mates, first worker in %s", (mode) => {
  it(`upstash-redis: a ${mode} worker's finished batch-mates of a long task are not redelivered to a second worker process`, async () => {
    const prefix = env.prefix(`mates-${mode}`);
    const producer = new Celeriac("batch-mates", { ...upstashRedis({ redis: env.client(), prefix }) });
    const msgs = [producer.buildMessage("tasks.long", []), ...Array.from({ length: 7 }, () => producer.buildMessage("tasks.short", []))];
    await producer.publish(msgs);
    const ids = msgs.map((m) => m.headers.id);
    const first = worker(mode, prefix);
    let second: Proc | undefined;
    try {
      await first.until((l) => ran(l).length === 8); // the whole batch started; 7 of 8 finished
      second = worker("poll", prefix);
      const extendedAt = (t: number) => (l: string[]) => l.some((x) => x.startsWith("extended ") && Number(x.slice(9)) >= t);
      for (let step = 1; step <= 3; step++) { // 3 × 0.6 = 1.8 visibility timeouts after the claim
        const at = CLOCK_START + step * VISIBILITY_S * 600;
        for (const p of [first, second]) p.send(`advance ${VISIBILITY_S * 600}`);
        await Promise.all([first, second].map((p) => p.until((l) => l.includes(`at ${at}`))));
        await first.until(extendedAt(at));
        second.send("poll");
        await second.until((l) => l.filter((x) => x === "polled").length === step);
      }
      first.send("release");
      await Promise.all(ids.map((id) => producer.AsyncResult(id).get({ timeout: 20_000, interval: 50 })));
      first.send("stop");
      second.send("stop");
      await Promise.all([first.until((l) => l.includes("stopped")), second.until((l) => l.includes("stopped"))]);
      const all = [...ran(first.lines), ...ran(second.lines)];
      const duplicated = ids.filter((id) => all.filter((x) => x === id).length !== 1);
      expect({ duplicated: duplicated.length, secondRan: ran(second.lines).length }).toEqual({ duplicated: 0, secondRan: 0 });
      expect(first.lines.filter((l) => l.startsWith("error"))).toEqual([]);
    } finally {
      for (const p of [first, second]) {
        if (p && p.child.exitCode === null) p.child.kill("SIGKILL");
        await p?.exited;
      }
    }
  }, 60_000);
});
