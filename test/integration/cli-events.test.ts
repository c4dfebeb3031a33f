// `celeriac events` as users run it: a child process subscribed to the event channel of DB 11
// (TCP Redis, `-b`), printing what a celeriac worker in this process publishes with events on,
// progress lines from `self.updateState("PROGRESS", ...)` included.
import { setTimeout as delay } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Celeriac, monitoring } from "../../mod.ts";
import { redis as redisPair, type RedisPair } from "../../adapters/redis/mod.ts";
import { APP, useCli, type Cli } from "../support/cli.ts";
import { ensureRedis, uniquePrefix, deleteByPrefix, type TestRedis } from "../support/redis.ts";

const { cli, run } = useCli("cli-events");
let redis: TestRedis;
let url: string;
let prefix: string;
let pair: RedisPair;

beforeAll(async () => {
  redis = await ensureRedis();
  url = `${redis.url.replace(/\/\d*$/, "")}/11`;
  prefix = uniquePrefix("cli-events-tcp");
  pair = redisPair(url, { prefix });
});

afterAll(async () => {
  await pair?.close();
  if (prefix) await deleteByPrefix(url, prefix);
  await redis?.stop();
});

/** Waits (condition, not time) until the child's stdout satisfies `test`. */
async function stdoutUntil(c: Cli, test: (out: string) => boolean, what: string): Promise<string> {
  for (;;) {
    if (test(c.out.stdout)) return c.out.stdout;
    if (c.child.exitCode !== null) throw new Error(`celeriac events exited before ${what}:\n${c.out.stderr}${c.out.stdout}`);
    await delay(25);
  }
}

describe("celeriac events", () => {
  it("prints task events, progress and the worker's heartbeat live; --json prints objects; SIGINT exits 0", async () => {
    const text = cli(["events", "-A", APP, "-b", url], prefix);
    const json = cli(["events", "-A", APP, "-b", url, "--json"], prefix);
    await Promise.all([text.waitFor(/events: listening/), json.waitFor(/events: listening/)]);
    const app = new Celeriac("evcli", { broker: pair.broker, backend: pair.backend });
    app.task("evcli.add", (a: number, b: number) => a + b);
    app.task("evcli.steps", { bind: true }, async (self, n: number) => {
      for (let i = 1; i <= n; i++) await self.updateState("PROGRESS", { current: i, total: n });
      return n;
    });
    const add = await app.sendTask("evcli.add", [2, 3]);
    const steps = await app.sendTask("evcli.steps", [2]);
    await app.worker({ events: true, monitoring, hostname: "evcli@test" }).drain();
    // The heartbeat goes out in its own publish: wait for it too, not only for the task events.
    const out = await stdoutUntil(text, (o) => o.includes(`task succeeded: evcli.steps[${steps.id}]`) && / heartbeat: /.test(o), "the events and the heartbeat");
    expect(out).toMatch(new RegExp(`evcli@test \\[[^\\]]+\\] task received: evcli\\.add\\[${add.id}\\] args=\\(2, 3\\)`));
    expect(out).toMatch(new RegExp(`task succeeded: evcli\\.add\\[${add.id}\\] result=5, runtime=`));
    expect(out).toContain(`task progress: evcli.steps[${steps.id}] PROGRESS 1/2 (50%)`);
    expect(out).toContain(`task progress: evcli.steps[${steps.id}] PROGRESS 2/2 (100%)`);
    expect(out).toMatch(/evcli@test \[[^\]]+\] heartbeat: .*sw_ident=celeriac/);
    const lines = (await stdoutUntil(json, (o) => o.includes(steps.id) && o.includes("task-succeeded"), "the JSON events")).trim().split("\n");
    const events = lines.map((l) => JSON.parse(l) as { type: string; uuid?: string; result?: string });
    expect(events).toContainEqual(expect.objectContaining({ type: "task-succeeded", uuid: add.id, result: "5" }));
    text.child.kill("SIGINT");
    json.child.kill("SIGINT");
    expect(await text.exited).toBe(0);
    expect(await json.exited).toBe(0);
  });

  it("exits 1 on a broker that cannot subscribe (Upstash REST), naming the way out", async () => {
    const r = await run(["events", "-A", APP], uniquePrefix("cli-events-up"));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot subscribe to events \(Upstash's REST API has no pattern subscriptions\): use -b redis:/);
  });

  it("--help documents the command and its exit codes", async () => {
    const r = await run(["events", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/celeriac events -A MODULE[\s\S]*Exit codes: 0 stopped by SIGINT\/SIGTERM, 1/);
  });
});
