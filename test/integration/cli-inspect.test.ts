// `celeriac inspect` as users run it: child processes (`tsx workers/node/cli.ts inspect ...`) on
// test/fixtures/cli-app.ts, reading what this process (or a `worker --drain`) put on the broker
// and in the backend, through the local Upstash-compatible endpoint and a real Redis (a unique
// key prefix per test).
import { describe, expect, it } from "vitest";
import type { DrainReport } from "../../mod.ts";
import type { PullBroker } from "../../src/ports.ts";
import { APP, useCli, type Ran } from "../support/cli.ts";

const { run, testApp: newApp } = useCli("cli-inspect");
const testApp = (): ReturnType<typeof newApp> => newApp("cli-inspect-test");

/** `celeriac inspect -A <fixture> <args>`; its stdout parsed as JSON when `--json` is among the args. */
async function inspect(prefix: string, ...args: string[]): Promise<Ran & { json?: unknown }> {
  const r = await run(["inspect", "-A", APP, ...args], prefix);
  expect(r.code, r.stderr).toBe(0);
  return args.includes("--json") ? { ...r, json: JSON.parse(r.stdout) } : r;
}

async function drain(prefix: string): Promise<DrainReport> {
  const r = await run(["worker", "-A", APP, "--drain"], prefix);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as DrainReport;
}

describe("celeriac inspect", () => {
  it("registered lists the fixture's tasks with their options; --all adds the celery.* builtins", async () => {
    const { prefix } = testApp();
    const [json, all, text, top] = await Promise.all([
      inspect(prefix, "registered", "--json"), inspect(prefix, "registered", "--all", "--json"),
      inspect(prefix, "registered"), run(["--help"]),
    ]);
    const tasks = json.json as { name: string }[];
    expect(tasks.map((t) => t.name)).toEqual(["cli.add", "cli.fail", "cli.slow", "cli.tick"]);
    expect(tasks[0]).toEqual({
      name: "cli.add", queue: "celery", rateLimit: null, timeLimit: null, softTimeLimit: null, maxRetries: 3, acksLate: false, ignoreResult: false,
    });
    expect((all.json as { name: string }[]).map((t) => t.name)).toEqual(expect.arrayContaining(["celery.map", "celery.starmap", "cli.add"]));
    expect(text.stdout).toMatch(/^TASK\s+QUEUE\s+OPTIONS\ncli\.add\s+celery\n/);
    expect(top.stdout).toMatch(/^\s+inspect\s+Show registered tasks/m);
  });

  it("queues shows the waiting messages per queue", async () => {
    const { prefix, app } = testApp();
    for (const i of [1, 2, 3]) await app.sendTask("cli.add", [i, i]);
    const [json, text, named] = await Promise.all([
      inspect(prefix, "queues", "--json"), inspect(prefix, "queues"), inspect(prefix, "queues", "celery", "other", "--json"),
    ]);
    expect(json.json).toEqual({ celery: 3 });
    expect(text.stdout).toMatch(/^QUEUE\s+WAITING\ncelery\s+3$/m);
    expect(named.json).toEqual({ celery: 3, other: 0 });
  });

  it("dead-letters shows what a worker could not run, with the reason and the task when parseable", async () => {
    const { prefix, app } = testApp();
    await app.broker.publish([{ id: "garbage", queue: "celery", priority: 0, payload: "this is not a Celery message" }]);
    const unknown = await app.sendTask("cli.nope", []);
    expect(await drain(prefix)).toMatchObject({ processed: 2, deadLettered: 2 });
    const [text, json, one] = await Promise.all([
      inspect(prefix, "dead-letters"), inspect(prefix, "dead-letters", "--json"), inspect(prefix, "dead-letters", "--limit", "1", "--json"),
    ]);
    expect(text.stdout).toMatch(/^TIME\s+QUEUE\s+TASK\s+REASON$/m);
    expect(text.stdout).toMatch(/^\S+Z\s+celery\s+\(unparseable\)\s+message is not valid JSON$/m);
    expect(text.stdout).toContain(`cli.nope[${unknown.id}]`);
    const entries = json.json as { task: string | null; id: string | null; reason: string; payload: string }[];
    expect(entries).toHaveLength(2);
    expect(entries).toContainEqual(expect.objectContaining({
      queue: "celery", task: null, id: null, reason: "message is not valid JSON", payload: "this is not a Celery message",
    }));
    expect(entries).toContainEqual(expect.objectContaining({ task: "cli.nope", id: unknown.id, reason: expect.stringMatching(/unknown task/) }));
    expect(one.json).toHaveLength(1);
  });

  it("dead-letters --redrive puts dead letters back on their queues (-Q one queue, --limit N), and the worker runs them", async () => {
    const { prefix, app } = testApp();
    const broker = app.broker as PullBroker;
    await broker.publish([1, 2].map((i) => ({ id: `o${i}`, queue: "other", priority: 0, payload: `other ${i}` })));
    for (const d of await broker.claim(["other"], { max: 2, visibilityMs: 60_000 })) await broker.deadLetter(d, "test");
    const sent = await app.sendTask("cli.add", [2, 2]);
    const first = await broker.claim(["celery"], { max: 1, visibilityMs: 60_000 });
    await broker.deadLetter(first[0], "worker was broken");
    const one = await inspect(prefix, "dead-letters", "--redrive", "-Q", "other", "--limit", "1", "--json");
    expect(one.json).toEqual({ redriven: 1 });
    expect((await inspect(prefix, "queues", "celery", "other", "--json")).json).toEqual({ celery: 0, other: 1 });
    const rest = await inspect(prefix, "dead-letters", "--redrive");
    expect(rest.stdout.trim()).toBe("redrove 2 dead letters");
    expect((await inspect(prefix, "queues", "celery", "other", "--json")).json).toEqual({ celery: 1, other: 2 });
    expect((await inspect(prefix, "dead-letters", "--json")).json).toEqual([]);
    expect(await drain(prefix)).toMatchObject({ succeeded: 1 });
    expect(await app.AsyncResult(sent.id).get({ timeout: 5000 })).toBe(4);
    const [noRedrive, zero] = await Promise.all([
      run(["inspect", "-A", APP, "dead-letters", "-Q", "other"], prefix), run(["inspect", "-A", APP, "dead-letters", "--redrive", "--limit", "0"], prefix),
    ]);
    expect(noRedrive.code).toBe(2);
    expect(noRedrive.stderr).toMatch(/-Q\/--queue applies to dead-letters --redrive only/);
    expect(zero.code).toBe(2);
  }, 90_000);

  it("result shows a drained task's state and value, a failure's exception, and PENDING for an unknown id", async () => {
    const { prefix, app } = testApp();
    const [ok, bad] = [await app.sendTask("cli.add", [2, 3]), await app.sendTask("cli.fail", ["boom"])];
    expect(await drain(prefix)).toMatchObject({ succeeded: 1, failed: 1 });
    const [json, text] = await Promise.all([
      inspect(prefix, "result", ok.id, "no-such-id", "--json"), inspect(prefix, "result", ok.id, bad.id),
    ]);
    expect(json.json).toEqual([
      { id: ok.id, status: "SUCCESS", result: 5, traceback: null, date_done: expect.any(String), children: [] },
      { id: "no-such-id", status: "PENDING", result: null, traceback: null, date_done: null, children: [] },
    ]);
    expect(text.stdout).toMatch(new RegExp(`^${ok.id}  SUCCESS  done \\S+\\n  result: 5$`, "m"));
    expect(text.stdout).toMatch(new RegExp(`^${bad.id}  FAILURE  done \\S+\\n  exception: RangeError\\('boom'\\)$`, "m"));
  });

  it("revoke: a revoked task is never run by the worker and stays REVOKED", async () => {
    const { prefix, app } = testApp();
    const r = await app.sendTask("cli.add", [1, 1]);
    const revoked = await inspect(prefix, "revoke", r.id);
    expect(revoked.stdout.trim()).toBe(`revoked ${r.id}`);
    const worker = await run(["worker", "-A", APP, "--drain"], prefix);
    expect(worker.code, worker.stderr).toBe(0);
    expect(JSON.parse(worker.stdout)).toMatchObject({ processed: 1, succeeded: 0, revoked: 1 });
    expect(worker.stderr).not.toMatch(/succeeded in/);
    const after = await inspect(prefix, "result", r.id, "--json");
    expect(after.json).toMatchObject([{ id: r.id, status: "REVOKED", result: { exc_type: "TaskRevokedError" } }]);
    const again = await inspect(prefix, "revoke", r.id, "--json");
    expect(again.json).toEqual([{ id: r.id, status: "REVOKED" }]);
  });

  it("bad usage exits 2 with the usage; an unreachable broker exits 1 with the adapter's message", async () => {
    const { prefix } = testApp();
    const [unknown, noWhat, noIds, badFlag, down] = await Promise.all([
      run(["inspect", "-A", APP, "nope"], prefix), run(["inspect", "-A", APP], prefix),
      run(["inspect", "-A", APP, "result"], prefix), run(["inspect", "-A", APP, "queues", "--all"], prefix),
      run(["inspect", "-A", APP, "queues"], prefix, { UPSTASH_REDIS_REST_URL: "http://127.0.0.1:1" }),
    ]);
    expect(unknown).toMatchObject({ code: 2, stdout: "" });
    expect(unknown.stderr).toMatch(/unknown "nope": expected one of registered, queues, dead-letters, result, revoke[\s\S]*Usage: celeriac inspect/);
    expect(noWhat.code).toBe(2);
    expect(noWhat.stderr).toMatch(/what to inspect\?/);
    expect(noIds.code).toBe(2);
    expect(noIds.stderr).toMatch(/result needs at least one task id/);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toMatch(/--all applies to registered only/);
    expect(down).toMatchObject({ code: 1, stdout: "" });
    expect(down.stderr).toMatch(/\[upstash-redis\] size failed/);
  });
});
