// `celeriac inspect ping|active|stats|scheduled|reserved` as users run it: over the pidbox of a
// long-running worker in this process (TCP Redis DB 11, `-b`), and from the presence records a
// request-triggered drain left (Upstash through the local endpoint, which cannot broadcast).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Celeriac, type TaskEvent, monitoring } from "../../mod.ts";
import { redis as redisPair, type RedisPair } from "../../adapters/redis/mod.ts";
import { APP, useCli, type Ran } from "../support/cli.ts";
import { deleteByPrefix, ensureRedis, uniquePrefix, type TestRedis } from "../support/redis.ts";
import { watchWorkerOnline } from "../support/redis-tcp.ts";

const { run, testApp, cli } = useCli("cli-inspect-workers");
let redis: TestRedis;
let url: string;
let prefix: string;
let pair: RedisPair;
let stop: AbortController;
let running: Promise<void>;
let release: () => void = () => {};
const hostname = `cliw-${crypto.randomUUID().slice(0, 8)}@test`;
const started = new Set<string>();
let onStarted: () => void = () => {};

beforeAll(async () => {
  redis = await ensureRedis();
  url = `${redis.url.replace(/\/\d*$/, "")}/11`;
  prefix = uniquePrefix("cli-inspect-workers");
  pair = redisPair(url, { prefix });
  const app = new Celeriac("cliw", { broker: pair.broker, backend: pair.backend });
  app.task("cliw.hold", () => new Promise<string>((r) => (release = () => r("released"))));
  const { online } = await watchWorkerOnline(pair.broker.events, hostname);
  stop = new AbortController();
  const onEvent = (e: TaskEvent): void => {
    if (e.type === "task-started" && e.uuid) started.add(e.uuid), onStarted();
  };
  running = app.worker({ events: true, monitoring, hostname, onEvent }).run({ signal: stop.signal, pollIntervalMs: 50 });
  await online;
});

afterAll(async () => {
  stop?.abort();
  release();
  await running;
  await pair?.close();
  if (prefix) await deleteByPrefix(url, prefix);
  await redis?.stop();
});

const tcp = (...args: string[]): Promise<Ran> => run(["inspect", "-A", APP, "-b", url, "--result-backend", url, ...args, "-d", hostname, "--timeout", "10"], prefix);

describe("celeriac inspect over the pidbox", () => {
  it("ping lists the running worker", async () => {
    const r = await tcp("ping");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`-> ${hostname}: OK\\n   pong`));
  });

  it("active shows the running task; stats counts; scheduled and reserved are empty", async () => {
    const app = new Celeriac("cliw", { broker: pair.broker, backend: pair.backend });
    const r = await app.sendTask("cliw.hold", []);
    await new Promise<void>((resolve) => (onStarted = () => started.has(r.id) && resolve(), onStarted()));
    const active = await tcp("active", "--json");
    expect(active.code, active.stderr).toBe(0);
    expect(JSON.parse(active.stdout)[hostname]).toMatchObject({ source: "pidbox", reply: [{ id: r.id, name: "cliw.hold", acknowledged: true }] });
    const text = await tcp("active");
    expect(text.stdout).toContain(`* cliw.hold[${r.id}] args=()`);
    const [stats, scheduled, reserved] = await Promise.all([tcp("stats", "--json"), tcp("scheduled", "--json"), tcp("reserved", "--json")]);
    expect(JSON.parse(stats.stdout)[hostname].reply).toMatchObject({ broker: { transport: "redis" }, prefetch_count: 10 });
    expect(JSON.parse(scheduled.stdout)[hostname].reply).toEqual([]);
    expect(JSON.parse(reserved.stdout)[hostname].reply).toEqual([]);
    release();
  });
});

describe("celeriac worker -E in a loop", () => {
  it("announces itself, answers inspect ping over the pidbox, and says offline on SIGTERM", async () => {
    const host = `cliloop-${crypto.randomUUID().slice(0, 8)}@test`;
    const seen: string[] = [];
    const waiters = new Set<() => void>();
    const stopListening = await pair.broker.events.subscribeEvents((m) => {
      if (m.payload.includes(host)) seen.push(m.routingKey);
      for (const w of waiters) w();
    });
    const seenEvent = (key: string): Promise<void> => new Promise((resolve) => {
      const check = (): void => void (seen.includes(key) && (waiters.delete(check), resolve()));
      waiters.add(check);
      check();
    });
    try {
      const w = cli(["worker", "-A", APP, "-b", url, "--result-backend", url, "-E", "-n", host], prefix);
      await w.waitFor(/events on \(answers celery inspect\/control\)/);
      await seenEvent("worker.online");
      const ping = await run(["inspect", "-A", APP, "-b", url, "--result-backend", url, "ping", "-d", host, "--timeout", "10"], prefix);
      expect(ping.code, ping.stderr).toBe(0);
      expect(ping.stdout).toMatch(new RegExp(`-> ${host}: OK\\n   pong`));
      w.child.kill("SIGTERM");
      expect(await w.exited).toBe(0);
      await seenEvent("worker.offline");
    } finally {
      await stopListening();
    }
  });
});

describe("celeriac inspect from presence records", () => {
  it("a request-triggered worker is listed from what its drain recorded", async () => {
    const { prefix: p, app } = testApp("cliw-drain");
    app.task("cli.add", (a: number, b: number) => a + b);
    await app.sendTask("cli.add", [1, 2]);
    await app.worker({ events: true, monitoring, hostname: "drainer@test" }).drain();
    const ping = await run(["inspect", "-A", APP, "ping"], p);
    expect(ping.code, ping.stderr).toBe(0);
    expect(ping.stdout).toMatch(/-> drainer@test: recorded \(request-triggered or not listening; last presence record\)\n   pong \(last seen /);
    const stats = await run(["inspect", "-A", APP, "stats", "--json"], p);
    expect(JSON.parse(stats.stdout)["drainer@test"]).toMatchObject({ source: "stored", reply: { processed: 1, mode: "request", sw_ident: "celeriac" } });
  });

  it("no worker anywhere: exit 1 saying so", async () => {
    const r = await run(["inspect", "-A", APP, "ping"], uniquePrefix("cliw-none"));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot broadcast to workers, and no worker recorded its presence/);
  });
});
