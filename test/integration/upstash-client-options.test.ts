import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Celeriac } from "../../mod.ts";
import { fromEnv, upstashRedis } from "../../adapters/upstash-redis/mod.ts";
import { ConfigError } from "../../src/errors.ts";
import type { PullBroker } from "../../src/ports.ts";
import { startUpstash, type UpstashEnv } from "../support/upstash.ts";

// The adapter must not depend on how the user configured the official client.
let env: UpstashEnv;

beforeAll(async () => {
  env = await startUpstash("upstash-client-options");
});

afterAll(async () => {
  await env?.close();
});

describe.each([
  { label: "defaults", opts: {} },
  { label: "automaticDeserialization off", opts: { automaticDeserialization: false } },
  { label: "responseEncoding off, auto-pipelining off", opts: { responseEncoding: false as const, enableAutoPipelining: false } },
])("upstash-redis with client option $label", ({ opts }) => {
  it("upstash-redis: sends, runs, stores, dead-letters and joins chords", async () => {
    const { broker, backend } = upstashRedis({ redis: env.client(opts), prefix: env.prefix("opts") });
    const app = new Celeriac("opts", { broker, backend });
    const add = app.task("tasks.add", (a: number, b: number) => a + b);
    const r = await add.delay(40, 2);
    await broker.publish([{ id: "123", queue: "celery", priority: 0, payload: "123" }]);
    expect(await broker.size("celery")).toBe(2);
    expect((await app.worker().drain()).deadLettered).toBe(1);
    expect(await r.get({ timeout: 1000 })).toBe(42);
    expect((await broker.deadLetters(5))[0]).toMatchObject({ payload: "123", queue: "celery" });
    expect(await (broker as PullBroker).claim(["celery"], { max: 5, visibilityMs: 1000 })).toEqual([]);
    await backend.chordSize("g", 2, 10_000);
    expect(await backend.chordJoin("g", 1, "[1, \"b\", \"SUCCESS\", 2]", 10_000)).toBeNull();
    expect(await backend.chordJoin("g", 0, "1", 10_000)).toEqual(["1", "[1, \"b\", \"SUCCESS\", 2]"]);
    expect(await backend.setIfAbsent("k", "v", 10_000)).toBe(true);
    expect(await backend.setIfAbsent("k", "v", 10_000)).toBe(false);
  });
});

describe("upstash-redis fromEnv", () => {
  it("upstash-redis: builds broker and backend from the env it is given, and names what is missing", async () => {
    const { broker, backend } = fromEnv(
      { UPSTASH_REDIS_REST_URL: env.server.url, UPSTASH_REDIS_REST_TOKEN: env.server.token },
      { prefix: env.prefix("env") },
    );
    expect(broker.storesResultsFor(backend)).toBe(true);
    await broker.publish([{ id: "x", queue: "q", priority: 3, payload: "x" }]);
    expect(await broker.size("q")).toBe(1);
    expect(() => fromEnv({ UPSTASH_REDIS_REST_URL: env.server.url })).toThrow(ConfigError);
    expect(() => fromEnv({})).toThrow(/UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN/);
  });
});
