// The `celeriac` CLI as users run it: real child processes (`tsx workers/node/cli.ts ...`) on
// test/fixtures/cli-app.ts, sharing queues and results with this process through the local
// Upstash-compatible endpoint and a real Redis (a unique key prefix per test).
import process from "node:process";
import { setTimeout as delay } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import type { DrainReport } from "../../mod.ts";
import { APP, useCli, type Cli } from "../support/cli.ts";

const { cli, run, testApp: newApp } = useCli("cli");
const testApp = (): ReturnType<typeof newApp> => newApp("cli-test");

async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await delay(50);
  }
}

const signalGroup = (c: Cli, sig: NodeJS.Signals): boolean => process.kill(-c.child.pid!, sig);

describe("celeriac CLI", () => {
  it("--help lists worker and beat; worker --help shows its flags", async () => {
    const [top, worker] = await Promise.all([run(["--help"]), run(["worker", "--help"])]);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/^\s+worker\s+Run tasks/m);
    expect(top.stdout).toMatch(/^\s+beat\s+Send the periodic tasks/m);
    expect(top.stdout).toMatch(/^\s+dev\s+/m);
    expect(worker.code).toBe(0);
    expect(worker.stdout).toMatch(/-A, --app MODULE\[:EXPORT\][\s\S]*-Q, --queues[\s\S]*--drain/);
  });

  it("a bad -A exits 2 with a clear message", async () => {
    const { prefix } = testApp();
    const [missing, noExport, notApp, noFlag] = await Promise.all([
      run(["worker", "-A", "test/fixtures/no-such-module.ts"], prefix),
      run(["worker", "-A", `${APP}:nope`], prefix),
      run(["beat", "-A", `${APP}:add`, "--once"], prefix),
      run(["worker", "--drain"], prefix),
    ]);
    expect(missing).toMatchObject({ code: 2, stdout: "" });
    expect(missing.stderr).toMatch(/cannot find module "test\/fixtures\/no-such-module\.ts"/);
    expect(noExport.code).toBe(2);
    expect(noExport.stderr).toMatch(/has no export "nope"; its exports: add \(Task\), app \(Celeriac\), fail \(Task\)/);
    expect(notApp.code).toBe(2);
    expect(notApp.stderr).toMatch(/export "add" of test\/fixtures\/cli-app\.ts is a Task, not a Celeriac app/);
    expect(noFlag.code).toBe(2);
    expect(noFlag.stderr).toMatch(/-A\/--app is required[\s\S]*Usage: celeriac worker/);
  });

  it("worker --drain runs queued tasks, prints the DrainReport as JSON and exits 0", async () => {
    const { prefix, app } = testApp();
    const [a, b, f] = [await app.sendTask("cli.add", [1, 2]), await app.sendTask("cli.add", [3, 4]), await app.sendTask("cli.fail", ["boom"])];
    const first = await run(["worker", "-A", APP, "--drain", "--max-tasks", "2"], prefix);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout) as DrainReport).toMatchObject({ processed: 2, succeeded: 2, failed: 0 });
    const second = await run(["worker", "-A", APP, "--drain"], prefix);
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toEqual({ processed: 1, succeeded: 0, failed: 1, retried: 0, revoked: 0, deadLettered: 0, requeued: 0 });
    expect([await a.get({ timeout: 1000 }), await b.get({ timeout: 1000 })]).toEqual([3, 7]);
    await expect(f.get({ timeout: 1000 })).rejects.toMatchObject({ name: "RangeError" });
  });

  it("worker runs tasks sent while it runs; SIGTERM lets a running task finish, then exits 0", async () => {
    const { prefix, app } = testApp();
    const w = cli(["worker", "-A", APP, "-c", "2", "--poll-interval", "100"], prefix);
    await w.waitFor(/ready/);
    expect(w.out.stderr).toMatch(/queues celery; concurrency 2/);
    expect(await (await app.sendTask("cli.add", [2, 2])).get({ timeout: 10_000 })).toBe(4);
    const slow = await app.sendTask("cli.slow", [1500]);
    await until(async () => (await slow.state) === "STARTED");
    w.child.kill("SIGTERM"); // to tsx, which relays it to the CLI
    expect(await w.exited, w.out.stderr).toBe(0);
    expect(await slow.state).toBe("SUCCESS"); // stored before the process exited
    expect(await slow.result).toBe("slept 1500 ms");
    expect(w.out.stderr).toMatch(/SIGTERM, warm shutdown[\s\S]*worker: stopped/);
  });

  it("one Ctrl+C is a warm shutdown even when it reaches a wrapper and the CLI; a later one exits 130", async () => {
    const { prefix, app } = testApp();
    // No tsx wrapper in the way: its relay gives the CLI 30 ms to report a signal, then kills it
    // (exit 130), a margin a loaded machine misses. The wrapper's extra copy is sent by hand.
    const w = cli(["worker", "-A", APP, "--poll-interval", "100"], prefix, {}, { inProcess: true });
    await w.waitFor(/ready/);
    const slow = await app.sendTask("cli.slow", [30_000]);
    await until(async () => (await slow.state) === "STARTED");
    signalGroup(w, "SIGINT"); // as a terminal does: to every process of the group
    signalGroup(w, "SIGINT"); // and the copy a wrapper relays
    await w.waitFor(/SIGINT, warm shutdown/);
    await delay(1200); // measured from the log line, so the CLI sees more than its 1 s window
    expect(w.child.exitCode).toBeNull(); // still waiting for the slow task
    const before = Date.now();
    signalGroup(w, "SIGINT");
    expect(await w.exited).toBe(130);
    expect(Date.now() - before).toBeLessThan(20_000); // did not wait for the 30 s task
    expect(w.out.stderr).toMatch(/SIGINT again, cold shutdown/);
    expect(await slow.state).toBe("STARTED"); // redelivered after the visibility timeout
  });

  it("beat --once sends a slot once: a second process in the same slot sends nothing", async () => {
    const { prefix, app } = testApp();
    const hour = 3_600_000;
    if (hour - (Date.now() % hour) < 15_000) await delay(hour - (Date.now() % hour) + 100);
    const env = { CLI_BEAT_EVERY: "1h" };
    const first = await run(["beat", "-A", APP, "--once"], prefix, env);
    expect(first.code, first.stderr).toBe(0);
    const report = JSON.parse(first.stdout) as { sent: { taskId: string; slot: string }[] };
    const slot = new Date(Date.now() - (Date.now() % hour)).toISOString();
    expect(report.sent).toEqual([{ entry: "tick", task: "cli.tick", taskId: expect.any(String), slot }]);
    const second = await run(["beat", "-A", APP, "--once"], prefix, env);
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ sent: [], skipped: [{ entry: "tick", slot, reason: "claimed" }] });
    // The message is on the broker, with beat's slot header.
    app.task("cli.tick", { bind: true }, (self) => String(self.request.headers.beat_slot));
    expect(await app.worker().drain()).toMatchObject({ processed: 1, succeeded: 1 });
    expect(await app.AsyncResult(report.sent[0]!.taskId).get({ timeout: 1000 })).toBe(slot);
  });

  it("beat sends a task within 2 s and stops on SIGTERM", async () => {
    const { prefix, app } = testApp();
    const b = cli(["beat", "-A", APP], prefix);
    await b.waitFor(/ready/);
    const sent = await b.waitFor(/beat: sent tick \(cli\.tick\) id (\S+) slot (\S+)/, 2000);
    b.child.kill("SIGTERM");
    expect(await b.exited, b.out.stderr).toBe(0);
    expect(b.out.stderr).toMatch(/beat: stopped/);
    app.task("cli.tick", { bind: true }, (self) => String(self.request.headers.beat_slot));
    await app.worker().drain();
    expect(await app.AsyncResult(sent[1]!).get({ timeout: 1000 })).toBe(sent[2]);
  });
});
