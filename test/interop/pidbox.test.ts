import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Celeriac, type TaskEvent, monitoring } from "../../mod.ts";
import { redis as redisPair, type RedisPair } from "../../adapters/redis/mod.ts";
import { deleteByPrefix, ensureRedis, uniquePrefix, type TestRedis } from "../support/redis.ts";
import { watchWorkerOnline } from "../support/redis-tcp.ts";
import { celery, DB, pyEnv, requireCelery } from "./celery-cli.ts";

// The real `celery inspect` / `celery control` (Python Celery 5.2.6) reach a long-running
// celeriac worker over kombu's pidbox on DB 11 (`/11.celery.pidbox`, replies LPUSHed to the
// client's `<oid>.reply.celery.pidbox`).
let redis: TestRedis;
let url: string;
let prefix: string;
let pair: RedisPair;
let app: Celeriac;
let hostname: string;
let stop: AbortController;
let running: Promise<void>;
const seen: TaskEvent[] = [];
const waiters = new Set<() => void>();
let holds: (() => void)[] = [];
let added = 0;

/** Resolves once an event matching `test` was seen. */
function event(test: (e: TaskEvent) => boolean): Promise<TaskEvent> {
  return new Promise((resolve) => {
    const check = (): void => {
      const e = seen.find(test);
      if (e) waiters.delete(check), resolve(e);
    };
    waiters.add(check);
    check();
  });
}

beforeAll(async () => {
  await requireCelery();
  redis = await ensureRedis();
  url = `${redis.url.replace(/\/\d*$/, "")}/${DB}`;
  prefix = uniquePrefix("interop-pidbox");
  pair = redisPair(url, { prefix });
  app = new Celeriac("pb", { broker: pair.broker, backend: pair.backend });
  app.task("pb.hold", () => new Promise<string>((r) => holds.push(() => r("released"))));
  app.task("pb.add", (a: number, b: number) => (added++, a + b));
  hostname = `pb-${prefix.slice(-9, -1)}@celeriac`;
  // Listening on the pidbox comes before worker-online: once it is seen, broadcasts reach the worker.
  const { online } = await watchWorkerOnline(pair.broker.events, hostname);
  stop = new AbortController();
  const onEvent = (e: TaskEvent): void => {
    seen.push(e);
    for (const w of waiters) w();
  };
  running = app.worker({ events: true, monitoring, hostname, concurrency: 1, onEvent }).run({ signal: stop.signal, pollIntervalMs: 50 });
  await online;
});

afterAll(async () => {
  stop?.abort();
  for (const h of holds) h();
  await running;
  await pair?.close();
  if (prefix) await deleteByPrefix(url, prefix);
  await redis?.stop();
});

const env = (): NodeJS.ProcessEnv => pyEnv(url, prefix);

describe("celery inspect / control against a celeriac worker", () => {
  it("inspect ping lists the worker", async () => {
    const { code, out } = await celery(env(), "inspect", "ping", "-d", hostname, "--timeout", "10");
    expect(out).toMatch(new RegExp(`->\\s+${hostname}: OK\\s+pong`));
    expect(out).toContain("1 node online.");
    expect(code).toBe(0);
  });

  it("inspect active shows the running task; stats, registered and active_queues answer", async () => {
    const r = await app.sendTask("pb.hold", []);
    await event((e) => e.type === "task-started" && e.uuid === r.id);
    const active = await celery(env(), "inspect", "active", "-d", hostname, "--timeout", "10", "--json");
    expect(active.code).toBe(0);
    const body = JSON.parse(active.out.trim().split("\n").at(-1)!);
    expect(body[hostname]).toMatchObject([{ id: r.id, name: "pb.hold", hostname, acknowledged: true }]);
    const stats = await celery(env(), "inspect", "stats", "-d", hostname, "--timeout", "10", "--json");
    expect(JSON.parse(stats.out.trim().split("\n").at(-1)!)[hostname]).toMatchObject({ broker: { transport: "redis" }, pool: { "max-concurrency": 1 } });
    const reg = await celery(env(), "inspect", "registered", "-d", hostname, "--timeout", "10");
    expect(reg.out).toContain("pb.add");
    const queues = await celery(env(), "inspect", "active_queues", "-d", hostname, "--timeout", "10", "--json");
    expect(JSON.parse(queues.out.trim().split("\n").at(-1)!)[hostname]).toMatchObject([{ name: "celery" }]);
    holds.shift()!();
    await event((e) => e.type === "task-succeeded" && e.uuid === r.id);
  });

  it("control revoke stops a queued task", async () => {
    const hold = await app.sendTask("pb.hold", []);
    await event((e) => e.type === "task-started" && e.uuid === hold.id);
    // The worker (concurrency 1) is busy: this one waits on the queue.
    const queued = await app.sendTask("pb.add", [1, 2]);
    const revoke = await celery(env(), "control", "revoke", queued.id, "-d", hostname, "--timeout", "10");
    expect(revoke.out).toContain(`tasks ${queued.id} flagged as revoked`);
    const listed = await celery(env(), "inspect", "revoked", "-d", hostname, "--timeout", "10");
    expect(listed.out).toContain(queued.id);
    holds.shift()!();
    await event((e) => e.type === "task-revoked" && e.uuid === queued.id);
    await expect(queued.get({ timeout: 20_000 })).rejects.toThrow(/revoked/i);
    expect(added).toBe(0);
  });

  it("control shutdown stops the worker's loop (a warm shutdown)", async () => {
    await celery(env(), "control", "shutdown", "-d", hostname, "--timeout", "2");
    await running;
    const ping = await celery(env(), "inspect", "ping", "-d", hostname, "--timeout", "1");
    expect(ping.out).not.toContain(`${hostname}: OK`);
  });

  it("a broadcast for another hostname gets no reply from it", async () => {
    const { code, out } = await celery(env(), "inspect", "ping", "-d", "nobody@nowhere", "--timeout", "1");
    expect(out).not.toContain(hostname);
    expect(code).not.toBe(0);
  });
});
