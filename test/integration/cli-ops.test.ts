// `celeriac purge`, `celeriac result` and the worker's `--json` / `-l` logs as users run them:
// child processes on test/fixtures/cli-app.ts through the local Upstash endpoint.
import { describe, expect, it } from "vitest";
import type { PullBroker } from "../../src/ports.ts";
import { APP, useCli } from "../support/cli.ts";

const { run, testApp } = useCli("cli-ops");

describe("celeriac purge", () => {
  it("refuses without --force (exit 2, nothing deleted), purges with it", async () => {
    const { prefix, app } = testApp("purge");
    for (let i = 0; i < 3; i++) await app.sendTask("cli.add", [i, i]);
    const broker = app.broker as PullBroker;
    const refused = await run(["purge", "-A", APP, "-Q", "celery"], prefix);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("would delete 3 waiting messages from celery: nothing deleted; run again with --force");
    expect(await broker.size("celery")).toBe(3);
    const done = await run(["purge", "-A", APP, "-Q", "celery", "--force"], prefix);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toContain("purged 3 messages from celery (3)");
    expect(await broker.size("celery")).toBe(0);
  });
});

describe("celeriac result", () => {
  it("prints a result, an exception, its --traceback, and PENDING", async () => {
    const { prefix, app } = testApp("result");
    const ok = await app.sendTask("cli.add", [2, 3]);
    const bad = await app.sendTask("cli.fail", ["nope"]);
    expect((await run(["worker", "-A", APP, "--drain"], prefix)).code).toBe(0);
    const [a, b, tb, pending] = await Promise.all([
      run(["result", "-A", APP, ok.id], prefix), run(["result", "-A", APP, bad.id], prefix),
      run(["result", "-A", APP, bad.id, "--traceback"], prefix), run(["result", "-A", APP, crypto.randomUUID()], prefix),
    ]);
    expect(a).toMatchObject({ code: 0, stdout: "5\n" });
    expect(b).toMatchObject({ code: 0, stdout: "RangeError('nope')\n" });
    expect(tb.code).toBe(0);
    expect(tb.stdout).toMatch(/RangeError: nope\n\s+at /);
    expect(pending).toMatchObject({ code: 0, stdout: "PENDING\n" });
    const usage = await run(["result", "-A", APP], prefix);
    expect(usage.code).toBe(2);
  });
});

describe("celeriac worker logs", () => {
  it("--json writes one JSON object per line with the event's fields; -l error keeps only errors", async () => {
    const { prefix, app } = testApp("logs");
    const ok = await app.sendTask("cli.add", [1, 1]);
    const bad = await app.sendTask("cli.fail", ["x"]);
    const r = await run(["worker", "-A", APP, "--drain", "--json", "-l", "debug"], prefix);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toContainEqual(expect.objectContaining({ level: "debug", event: "task-received", uuid: ok.id, task: "cli.add" }));
    expect(lines).toContainEqual(expect.objectContaining({ level: "info", event: "task-succeeded", uuid: ok.id, runtime: expect.any(Number) }));
    expect(lines).toContainEqual(expect.objectContaining({ level: "error", event: "task-failed", uuid: bad.id, exception: "RangeError('x')" }));
    await app.sendTask("cli.add", [2, 2]);
    const bad2 = await app.sendTask("cli.fail", ["y"]);
    const quiet = await run(["worker", "-A", APP, "--drain", "-l", "ERROR"], prefix);
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).not.toContain("succeeded");
    expect(quiet.stderr).toContain(`Task cli.fail[${bad2.id}] raised unexpected: RangeError('y')`);
    const badLevel = await run(["worker", "-A", APP, "--drain", "-l", "loud"], prefix);
    expect(badLevel.code).toBe(2);
  });

  it("-E with --drain publishes events (Upstash: PUBLISH with the ack) and records presence", async () => {
    const { prefix, app } = testApp("events");
    await app.sendTask("cli.add", [1, 2]);
    const r = await run(["worker", "-A", APP, "--drain", "-E", "-n", "cliops@test"], prefix);
    expect(r.code, r.stderr).toBe(0);
    expect(await app.backend.workers!()).toMatchObject([{ hostname: "cliops@test", mode: "request", processed: 1 }]);
  });
});
