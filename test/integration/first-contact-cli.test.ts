// Celery habits on the `celeriac` CLI (issue #12): -b/--broker, -l/--loglevel, -E, and a worker
// that says "ready" only once its broker answered. Real child processes through the test harness
// (test/support/cli.ts): the local Upstash-compatible endpoint in front of a real Redis.
import process from "node:process";
import { describe, expect, it } from "vitest";
import { APP, useCli } from "../support/cli.ts";

const { cli, run, testApp, endpoint } = useCli("first-contact-cli");
// The fixture module builds its broker from these: unreachable, so only -b can make it work.
const NOWHERE = { UPSTASH_REDIS_REST_URL: "http://127.0.0.1:1", UPSTASH_REDIS_REST_TOKEN: "nope" };
const brokerUrl = (): string => {
  const { url, token } = endpoint();
  return url.replace("://", `://${token}@`);
};

describe("celeriac CLI: Celery's flags", () => {
  it("-b URL and --result-backend URL replace the module's broker and backend with the endpoint they name", async () => {
    const { prefix, app } = testApp("fc-b");
    const sent = await app.sendTask("cli.add", [20, 22]);
    const r = await run(["worker", "-A", APP, "-b", brokerUrl(), "--result-backend", brokerUrl(), "--drain"], prefix, NOWHERE);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ processed: 1, succeeded: 1 });
    expect(await sent.get({ timeout: 10_000 })).toBe(42);
  });

  it("-b with a scheme the CLI cannot build is a ConfigError (exit 1) that says what works", async () => {
    const { prefix } = testApp("fc-b2");
    const r = await run(["worker", "-A", APP, "-b", "sqs://127.0.0.1:9324/q", "--drain"], prefix);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/-b\/--broker: unsupported URL "sqs:\/\/127.0.0.1:9324\/q": use redis:\/\/, rediss:\/\/, amqp:\/\/ or an Upstash REST URL/);
  });

  it("-l warning hides the per-task info lines; -E is accepted; a bad level is a usage error", async () => {
    const { prefix, app } = testApp("fc-l");
    await app.sendTask("cli.add", [1, 1]);
    await app.sendTask("cli.fail", ["boom"]);
    const quiet = await run(["worker", "-A", APP, "-E", "-l", "WARNING", "--drain"], prefix);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(JSON.parse(quiet.stdout)).toMatchObject({ processed: 2, succeeded: 1, failed: 1 });
    expect(quiet.stderr).not.toMatch(/succeeded in/);
    expect(quiet.stderr).toMatch(/raised unexpected: RangeError\('boom'\)/);
    const bad = await run(["worker", "-A", APP, "--loglevel", "loud", "--drain"], prefix);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--loglevel must be one of debug, info, warning, error, critical, got "loud"/);
  });

  it("the worker says connecting, names the failure, and never says ready while the broker is unreachable", async () => {
    const { prefix } = testApp("fc-conn");
    const w = cli(["worker", "-A", APP], prefix, NOWHERE);
    await w.waitFor(/connecting to upstash-redis/);
    await w.waitFor(/cannot reach broker upstash-redis, trying again in 1 s/, 60_000);
    expect(w.out.stderr).not.toMatch(/ready/);
    process.kill(-w.child.pid!, "SIGTERM");
    expect(await w.exited).toBe(0);
    expect(w.out.stderr).not.toMatch(/ready/);
  }, 90_000);
});
