import { chord, type Celeriac } from "../../../mod.ts";
import type { PullBroker, ResultBackend } from "../../../src/ports.ts";
import { manualClock, type ManualClock } from "../../support/clock.ts";
import { deepEqual, equal } from "../assert.ts";
import { makeApp, type Case, type Fixture } from "../harness.ts";

const VISIBILITY_S = 10;
const T = { timeout: 10_000, interval: 20 };

/**
 * The adapters as seen by a "worker process" that dies the moment its chord join completes:
 * the completing member throws right after `chordJoin` answered (so neither the body nor
 * `chordDone` is sent), and no delivery is acked, requeued or dead-lettered, as when the process
 * is killed. The store is the pair's; only this view of it is cut off.
 */
function dying(pair: { broker: PullBroker; backend: ResultBackend }) {
  let dead = false;
  const backend: ResultBackend = Object.create(pair.backend);
  backend.chordJoin = async (...a) => {
    const entries = await pair.backend.chordJoin(...a);
    if (entries && !dead) {
      dead = true;
      throw new Error("worker process killed after the completing join");
    }
    return entries;
  };
  const broker: PullBroker = Object.create(pair.broker);
  broker.ack = () => Promise.resolve();
  broker.requeue = () => Promise.resolve();
  broker.deadLetter = () => Promise.resolve();
  return { pair: { broker, backend }, died: () => dead };
}

function chordApp(f: Fixture, clock: ManualClock, pair?: { broker: PullBroker; backend: ResultBackend }) {
  const app = makeApp(f, { visibilityTimeout: VISIBILITY_S }, pair, clock);
  const bodies: number[][] = [];
  const add = app.task("chords.add", (a: number, b: number) => a + b);
  const sum = app.task("chords.sum", (xs: number[]) => (bodies.push(xs), xs.reduce((s, x) => s + x, 0)));
  return { app, add, sum, bodies };
}

async function drainUntilIdle(apps: Celeriac[]): Promise<void> {
  for (let i = 0; i < 20; i++) {
    const reports = await Promise.all(apps.map((a) => a.worker({ concurrency: 4 }).drain()));
    if (reports.every((r) => r.processed === 0)) return;
  }
}

/** Chords across crashes and redeliveries: the body fires exactly once (issue #15 item 1). */
export function chordCases(f: Fixture): Case[] {
  return [
    {
      name: "chord: a worker killed between the completing join and the body: redelivered members fire the body once",
      needs: ["visibilityTimeout"],
      fn: async () => {
        const clock = manualClock();
        const pair = { broker: f.broker({ now: clock.now }), backend: f.backend() };
        const dead = dying(pair);
        const victim = chordApp(f, clock, dead.pair);
        const r = await chord([1, 2, 3, 4, 5, 6].map((i) => victim.add.s(i, i)), victim.sum.s()).delay();
        await victim.app.worker({ concurrency: 2 }).drain();
        equal(dead.died(), true, "the join completed in the dying worker");
        equal(victim.bodies.length, 0);
        // Every member of the dead worker's batch comes back after the visibility timeout, to two
        // healthy workers at once; each re-runs and re-joins.
        const [a, b] = [chordApp(f, clock, pair), chordApp(f, clock, pair)];
        clock.advance(VISIBILITY_S * 1000 + 1);
        await drainUntilIdle([a.app, b.app]);
        equal(await a.app.AsyncResult(r.id).get(T), 42);
        equal(a.bodies.length + b.bodies.length, 1, "bodies fired");
        deepEqual([...a.bodies, ...b.bodies][0], [2, 4, 6, 8, 10, 12]);
      },
    },
    {
      name: "chord: a member redelivered after the body was sent records nothing and fires nothing",
      fn: async () => {
        const clock = manualClock();
        const { app, add, sum, bodies } = chordApp(f, clock);
        const r = await chord([add.s(1, 1), add.s(2, 2)], sum.s()).delay();
        const members = await (app.broker as PullBroker).claim(["celery"], { max: 10, visibilityMs: 60_000, now: clock.now() });
        equal(members.length, 2);
        // Run both, but the first one's ack is lost: it will be delivered again after the body.
        await app.broker.publish(members.map((d, i) => ({ id: `m${i}`, queue: "celery", priority: 0, payload: d.payload })));
        await (app.broker as PullBroker).ack(members);
        await drainUntilIdle([app]);
        equal(await r.get(T), 6);
        const again = members[0]!;
        await app.broker.publish([{ id: "again", queue: "celery", priority: 0, payload: again.payload }]);
        await drainUntilIdle([app]);
        equal(bodies.length, 1, "bodies fired");
        const gid = JSON.parse(again.payload).headers.group as string;
        equal(await app.backend.chordJoin(gid, 0, "late", 60_000), null, "the join is over");
        equal(await app.backend.chordJoin(gid, 1, "late", 60_000), null, "whatever the index");
      },
    },
    {
      name: "backend: chordJoin: after completion only the firer re-joins; after chordDone nobody",
      fn: async () => {
        const be = f.backend();
        await be.chordSize("cj", 3, 60_000);
        const outs = await Promise.all([2, 0, 1].map((i) => be.chordJoin("cj", i, `e${i}`, 60_000)));
        const firer = [2, 0, 1][outs.findIndex((o) => o !== null)]!;
        equal(outs.filter((o) => o !== null).length, 1);
        const others = [0, 1, 2].filter((i) => i !== firer);
        const rejoins = await Promise.all(others.map((i) => be.chordJoin("cj", i, `e${i}'`, 60_000)));
        deepEqual(rejoins, [null, null], "redelivered non-firers get nothing");
        deepEqual(await be.chordJoin("cj", firer, "again", 60_000), ["e0", "e1", "e2"], "the firer re-joins");
        await be.chordDone("cj");
        deepEqual(await Promise.all([0, 1, 2].map((i) => be.chordJoin("cj", i, "late", 60_000))), [null, null, null]);
      },
    },
  ];
}
