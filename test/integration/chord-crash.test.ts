import { spawn } from "node:child_process";
import process from "node:process";
import { Redis as IORedis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Celeriac, chord } from "../../mod.ts";
import { upstashRedis } from "../../adapters/upstash-redis/mod.ts";
import { manualClock } from "../support/clock.ts";
import { startUpstash, type UpstashEnv } from "../support/upstash.ts";

// Issue #15 item 1 with a real process kill: a worker dies right after the join that completes
// a chord, before the body is sent; every member of its batch is redelivered and re-joins.
let env: UpstashEnv;
let raw: IORedis;

beforeAll(async () => {
  env = await startUpstash("chord-crash");
  raw = new IORedis(env.redisUrl);
});

afterAll(async () => {
  raw?.disconnect();
  await env?.close();
});

describe("chord body across a worker crash", () => {
  it("upstash-redis: a worker killed after the completing join: the body fires once and no join key is left", async () => {
    const prefix = env.prefix("chordcrash");
    // The healthy worker's clock runs 60 s ahead, so the dead worker's claims (visibility 1 s)
    // are due for redelivery at once, without waiting on the wall clock.
    const clock = manualClock(Date.now() + 60_000);
    const app = new Celeriac("chord-crash", { ...upstashRedis({ redis: env.client(), prefix }), clock });
    const bodies: number[][] = [];
    const add = app.task("chords.add", (a: number, b: number) => a + b);
    const sum = app.task("chords.sum", (xs: number[]) => (bodies.push(xs), xs.reduce((s, x) => s + x, 0)));
    const r = await chord([1, 2, 3, 4, 5, 6, 7, 8].map((i) => add.s(i, i)), sum.s()).delay();

    const child = spawn(process.execPath, ["--import", "tsx", "test/support/chord-join-and-hang.ts"], {
      env: { ...process.env, UPSTASH_REDIS_REST_URL: env.server.url, UPSTASH_REDIS_REST_TOKEN: env.server.token, CELERIAC_REDIS_PREFIX: prefix },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = new Promise((res) => child.once("exit", res));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on("data", (b: Buffer) => b.toString().includes("joined") && resolve());
        child.once("exit", (code) => reject(new Error(`worker exited early (${code})`)));
      });
    } finally {
      process.kill(child.pid!, "SIGKILL");
      await exited;
    }
    expect(await raw.hlen(`${prefix}unacked`)).toBe(8); // the whole batch died unacked

    for (let i = 0; i < 20 && !(await r.ready()); i++) await app.worker({ visibilityTimeout: 1, concurrency: 4 }).drain();
    expect(await r.get({ timeout: 5000 })).toBe(72);
    clock.advance(60_000); // anything still claimed would come back now
    expect((await app.worker({ visibilityTimeout: 1 }).drain()).processed).toBe(0);
    expect(bodies).toEqual([[2, 4, 6, 8, 10, 12, 14, 16]]);
    const gid = r.parent!.id;
    const left = await raw.keys(`${prefix}celery-taskset-meta-${gid}*`);
    expect(left).toEqual([`${prefix}celery-taskset-meta-${gid}.f`]); // only the done marker, with a TTL
    expect(await raw.get(left[0]!)).toBe("done");
    expect(await raw.pttl(left[0]!)).toBeGreaterThan(0);
  }, 60_000);
});
