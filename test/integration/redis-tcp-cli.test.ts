import { spawn } from "node:child_process";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Celeriac } from "../../mod.ts";
import { redis, type RedisPair } from "../../adapters/redis/mod.ts";
import { brokerFromUrl } from "../../workers/node/broker-url.ts";
import { ConfigError } from "../../src/errors.ts";
import { spawnRedis, type TestRedis } from "../support/redis.ts";

// `celeriac worker -b redis://… --result-backend redis://…` on a private redis-server.
let server: TestRedis;
let pair: RedisPair;

beforeAll(async () => {
  server = await spawnRedis();
  pair = redis(server.url);
});

afterAll(async () => {
  await pair?.close();
  await server?.stop();
});

function celeriac(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn("node_modules/.bin/tsx", ["workers/node/cli.ts", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (b: Buffer) => (stdout += b));
  child.stderr.on("data", (b: Buffer) => (stderr += b));
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, stdout, stderr })));
}

it("celeriac worker -b redis://… runs tasks sent to that Redis and stores results in --result-backend", async () => {
  const app = new Celeriac("sender", pair);
  const r = await app.sendTask("tcp.add", [20, 22]);
  const ran = await celeriac(["worker", "-A", "test/fixtures/tcp-app.ts", "-b", server.url, "--result-backend", server.url, "--drain"]);
  expect(ran.code, ran.stderr).toBe(0);
  expect(JSON.parse(ran.stdout)).toMatchObject({ processed: 1, succeeded: 1 });
  expect(await r.get({ timeout: 10_000 })).toBe(42);
}, 60_000);

it("brokerFromUrl refuses an unknown scheme with a ConfigError that hides the password", async () => {
  const err = await brokerFromUrl("sqs://user:secret@host/q").catch((e) => e);
  expect(err).toBeInstanceOf(ConfigError);
  expect(err.message).toContain("sqs://user:***@host/q");
  expect(err.message).not.toContain("secret");
});
