import type { Celeriac, TaskRequest } from "../../../mod.ts";
import { ConfigError } from "../../../mod.ts";
import { crontab } from "../../../src/beat/crontab.ts";
import { every } from "../../../src/beat/schedule.ts";
import { beatTaskId } from "../../../src/beat/slot-id.ts";
import { deepEqual, equal, ok, rejects } from "../assert.ts";
import { makeApp, pairOf, type Case, type Fixture } from "../harness.ts";
import type { OutboundMessage, PullBroker } from "../../../src/ports.ts";

const at = (iso: string): Date => new Date(iso);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Register `name` on `app` and collect the requests it runs. */
function recorder(app: Celeriac, name: string): TaskRequest[] {
  const runs: TaskRequest[] = [];
  app.task(name, { bind: true }, (self, ...args: unknown[]) => {
    runs.push(self.request);
    return args.length;
  });
  return runs;
}

/** Beat: slots, claims and sends through the fixture's backend and broker. */
export function beatCases(f: Fixture): Case[] {
  return [
    {
      name: "beat: a due entry is sent once with its args, kwargs and options",
      fn: async () => {
        const app = makeApp(f, {
          beatSchedule: {
            poll: {
              task: "tasks.poll", schedule: every("30s"), args: [1, "a"], kwargs: { k: true },
              options: { queue: "beat-q", priority: 3, expires: 600, headers: { tenant: "t1" } },
            },
          },
        });
        const runs = recorder(app, "tasks.poll");
        const report = await app.beat.tick(at("2026-05-01T12:00:07Z"));
        equal(report.sent.length, 1);
        const sent = report.sent[0]!;
        equal(sent.entry, "poll");
        equal(sent.task, "tasks.poll");
        equal(sent.slot.toISOString(), "2026-05-01T12:00:00.000Z");
        equal(sent.taskId, await beatTaskId("poll", Date.parse("2026-05-01T12:00:00Z")));
        equal((await app.beat.tick(at("2026-05-01T12:00:29Z"))).sent.length, 0);
        equal((await app.worker({ queues: ["beat-q"] }).drain()).succeeded, 1);
        equal(runs.length, 1);
        const req = runs[0]!;
        equal(req.id, sent.taskId);
        deepEqual(req.args, [1, "a"]);
        deepEqual(req.kwargs, { k: true });
        equal(req.deliveryInfo.routingKey, "beat-q");
        equal(req.deliveryInfo.priority, 3);
        ok(req.expires, "expires is set");
        deepEqual(req.headers, { tenant: "t1", beat_entry: "poll", beat_slot: "2026-05-01T12:00:00.000Z" });
        equal(await app.AsyncResult(sent.taskId).get({ timeout: 1000 }), 3);
      },
    },
    {
      name: "beat: 100 concurrent ticks send one task per slot",
      fn: async () => {
        const pair = pairOf(f);
        const beatSchedule = {
          poll: { task: "tasks.poll", schedule: every("30s") },
          report: { task: "tasks.report", schedule: crontab("*/5 * * * *") },
        };
        const apps = Array.from({ length: 10 }, () => makeApp(f, { beatSchedule }, pair));
        const storm = (base: string): Promise<number[]> => Promise.all(apps.flatMap((app, i) =>
          Array.from({ length: 10 }, (_, j) => app.beat.tick(new Date(Date.parse(base) + i * 1000 + j * 100)).then((r) => r.sent.length))));
        const first = await storm("2026-05-01T12:00:05Z");
        equal(first.reduce((a, b) => a + b, 0), 2, "one send per entry");
        const second = await storm("2026-05-01T12:00:35Z");
        equal(second.reduce((a, b) => a + b, 0), 1, "only the every() entry has a new slot");
        const polls = recorder(apps[0]!, "tasks.poll");
        const reports = recorder(apps[0]!, "tasks.report");
        equal((await apps[0]!.worker().drain()).processed, 3);
        equal(polls.length, 2);
        equal(reports.length, 1);
      },
    },
    {
      name: "beat: after missed slots only the latest slot is sent",
      fn: async () => {
        const app = makeApp(f, {
          beatSchedule: {
            five: { task: "tasks.t", schedule: every("5m") },
            ten: { task: "tasks.t", schedule: crontab({ minute: "*/10" }) },
          },
        });
        const runs = recorder(app, "tasks.t");
        equal((await app.beat.tick(at("2026-05-01T12:00:10Z"))).sent.length, 2);
        const late = await app.beat.tick(at("2026-05-01T12:47:00Z"));
        deepEqual(late.sent.map((s) => [s.entry, s.slot.toISOString()]).sort(), [
          ["five", "2026-05-01T12:45:00.000Z"], ["ten", "2026-05-01T12:40:00.000Z"],
        ]);
        await app.worker().drain();
        deepEqual(runs.map((r) => r.headers.beat_slot).sort(), [
          "2026-05-01T12:00:00.000Z", "2026-05-01T12:00:00.000Z", "2026-05-01T12:40:00.000Z", "2026-05-01T12:45:00.000Z",
        ]);
      },
    },
    {
      name: "beat: every() slots align to the epoch and never drift under irregular ticks",
      fn: async () => {
        const pair = pairOf(f);
        const conf = { beatSchedule: { poll: { task: "tasks.poll", schedule: every("30s") } } };
        const procs = [makeApp(f, conf, pair), makeApp(f, conf, pair)];
        const slots: number[] = [];
        let seed = 42;
        const start = Date.parse("2026-05-01T12:00:00Z");
        for (let t = start, i = 0; t < start + 3_600_000; i++) {
          for (const s of (await procs[i % 2]!.beat.tick(new Date(t))).sent) slots.push(s.slot.getTime());
          seed = (seed * 1103515245 + 12345) % 2 ** 31;
          t += 1_000 + (seed % 28_000); // 1–29 s: every 30 s slot gets at least one tick
        }
        equal(slots.length, 120);
        ok(slots.every((s, i) => s === start + i * 30_000), "one send per slot, aligned to :00 and :30");
      },
    },
    {
      name: "beat: the first tick after deploy skips a slot older than the starting deadline",
      fn: async () => {
        const beatSchedule = {
          midnight: { task: "tasks.t", schedule: crontab({ minute: 0, hour: 0 }) },
          daily: { task: "tasks.t", schedule: every("1d") },
          patient: { task: "tasks.t", schedule: crontab({ minute: 0, hour: 0 }), startingDeadline: 12 * 3600 },
        };
        const app = makeApp(f, { beatSchedule });
        const deploy = await app.beat.tick(at("2026-05-01T10:00:00Z"));
        deepEqual(deploy.sent.map((s) => s.entry), ["patient"]);
        deepEqual(deploy.skipped.map((s) => [s.entry, s.reason]), [["midnight", "late"], ["daily", "late"]]);
        const next = await app.beat.tick(at("2026-05-02T00:00:30Z"));
        deepEqual(next.sent.map((s) => s.entry).sort(), ["daily", "midnight", "patient"]);
        // Default deadline: the smaller of the period and one hour.
        const two = makeApp(f, { beatSchedule: { h2: { task: "tasks.t", schedule: every("2h") } } });
        equal((await two.beat.tick(at("2026-05-01T13:01:00Z"))).skipped[0]?.reason, "late");
        equal((await two.beat.tick(at("2026-05-01T14:59:00Z"))).sent.length, 1);
        // A global deadline from the conf.
        const global = makeApp(f, { beatSchedule, beatStartingDeadline: 86_400 });
        equal((await global.beat.tick(at("2026-05-01T10:00:00Z"))).sent.length, 3);
      },
    },
    {
      name: "beat: a new process does not resend a slot another one claimed",
      fn: async () => {
        const pair = pairOf(f);
        const conf = { beatSchedule: { poll: { task: "tasks.poll", schedule: every("1m") } } };
        equal((await makeApp(f, conf, pair).beat.tick(at("2026-05-01T12:00:01Z"))).sent.length, 1);
        const restarted = await makeApp(f, conf, pair).beat.tick(at("2026-05-01T12:00:59Z"));
        equal(restarted.sent.length, 0);
        deepEqual(restarted.skipped.map((s) => s.reason), ["claimed"]);
      },
    },
    {
      name: "beat: a failed publish gives the slot back and the next tick sends it",
      fn: async () => {
        const real = f.broker();
        let down = true;
        const flaky: PullBroker = Object.assign(Object.create(real), {
          publish: (m: OutboundMessage[]) => down ? Promise.reject(new Error("broker down")) : real.publish(m),
        });
        const app = makeApp(f, { beatSchedule: { poll: { task: "tasks.poll", schedule: every("1m") } } }, { broker: flaky, backend: f.backend() });
        const runs = recorder(app, "tasks.poll");
        await rejects(() => app.beat.tick(at("2026-05-01T12:00:05Z")));
        down = false;
        equal((await app.beat.tick(at("2026-05-01T12:00:20Z"))).sent.length, 1);
        equal((await app.beat.tick(at("2026-05-01T12:00:40Z"))).sent.length, 0);
        await app.worker().drain();
        equal(runs.length, 1);
      },
    },
    {
      name: "beat: task ids are deterministic per entry and slot",
      fn: async () => {
        const conf = { beatSchedule: { a: { task: "tasks.t", schedule: every("1m") }, b: { task: "tasks.t", schedule: every("1m") } } };
        // Two backends that share no claim still give the same ids (downstream dedupe).
        const r1 = await makeApp(f, conf).beat.tick(at("2026-05-01T12:00:10Z"));
        const r2 = await makeApp(f, conf).beat.tick(at("2026-05-01T12:00:50Z"));
        deepEqual(r1.sent.map((s) => s.taskId), r2.sent.map((s) => s.taskId));
        ok(r1.sent.every((s) => UUID.test(s.taskId)), "uuid v5 shaped");
        ok(r1.sent[0]!.taskId !== r1.sent[1]!.taskId, "entries differ");
        const r3 = await makeApp(f, conf).beat.tick(at("2026-05-01T12:01:10Z"));
        ok(r3.sent[0]!.taskId !== r1.sent[0]!.taskId, "slots differ");
      },
    },
    {
      name: "beat: crontab follows the app timezone across a DST change, once per day",
      fn: async () => {
        const app = makeApp(f, {
          timezone: "America/New_York",
          beatSchedule: { nightly: { task: "tasks.t", schedule: crontab({ minute: 30, hour: 2 }) } },
        });
        const sent: string[] = [];
        for (const day of ["2026-03-07T05:00:00Z", "2026-10-31T04:00:00Z"]) {
          for (let t = Date.parse(day); t < Date.parse(day) + 3 * 86_400_000; t += 10 * 60_000) {
            for (const s of (await app.beat.tick(new Date(t))).sent) sent.push(s.slot.toISOString());
          }
        }
        deepEqual(sent, [
          "2026-03-07T07:30:00.000Z", "2026-03-08T07:00:00.000Z", "2026-03-09T06:30:00.000Z",
          "2026-10-31T06:30:00.000Z", "2026-11-01T07:30:00.000Z", "2026-11-02T07:30:00.000Z",
        ]);
      },
    },
    {
      name: "beat: an invalid schedule rejects with ConfigError and sends nothing",
      fn: async () => {
        const ok1 = { task: "tasks.t", schedule: every("1m") };
        const bad: Record<string, unknown>[] = [
          { beatSchedule: { ok1, x: { task: "tasks.t", schedule: "*/5 * * * *" } } },
          { beatSchedule: { ok1, x: { schedule: every("1m") } } },
          { beatSchedule: { ok1, x: { task: "tasks.t", schedule: every("1m"), args: "a" } } },
          { beatSchedule: { ok1, x: { task: "tasks.t", schedule: every("1m"), shedule: 1 } } },
          { beatSchedule: { ok1, x: { task: "tasks.t", schedule: every("1m"), options: { taskId: "x" } } } },
          { beatSchedule: { ok1, x: { task: "tasks.t", schedule: every("1m"), options: { priority: 12 } } } },
          { beatSchedule: { ok1, x: { task: "tasks.t", schedule: every("1m"), startingDeadline: -1 } } },
          { beatSchedule: { ok1 }, timezone: "Nowhere/City" },
          { beatSchedule: { ok1 }, beatStartingDeadline: "1h" },
          { beatSchedule: [ok1] },
        ];
        for (const conf of bad) {
          const app = makeApp(f, conf);
          await rejects(() => app.beat.tick(at("2026-05-01T12:00:00Z")), (e) => e instanceof ConfigError, JSON.stringify(conf));
          equal((await app.worker().drain()).processed, 0);
        }
        equal((await makeApp(f).beat.tick()).sent.length, 0, "no schedule, nothing to do");
      },
    },
  ];
}
