import { decodeMessage, toOutbound, type Celeriac, type TaskMessage } from "../../../mod.ts";
import { chain, chainDict, chord, group, groupDict, GroupResult } from "../../../src/canvas/mod.ts";
import type { PullBroker, ResultBackend } from "../../../src/ports.ts";
import { deepEqual, equal, ok, rejects } from "../assert.ts";
import { delay, makeApp, pairOf, type Case, type Fixture } from "../harness.ts";

const T = { timeout: 10_000, interval: 20 };

/** An app with the canvas guide's tasks; `calls` counts runs per task name. */
function setup(f: Fixture, pair = pairOf(f), calls: Record<string, unknown[][]> = {}) {
  const app = makeApp(f, {}, pair);
  const rec = (name: string, args: unknown[]): void => void (calls[name] ??= []).push(args);
  const tasks = {
    add: app.task("tasks.add", (a: number, b: number) => (rec("add", [a, b]), a + b)),
    mul: app.task("tasks.mul", (a: number, b: number) => (rec("mul", [a, b]), a * b)),
    xsum: app.task("tasks.xsum", (n: number[]) => (rec("xsum", [n]), n.reduce((s, x) => s + x, 0))),
    fail: app.task("tasks.fail", (..._a: unknown[]): number => {
      throw new TypeError("boom");
    }),
    onError: app.task("tasks.on_error", (id: string) => (rec("onError", [id]), id)),
    slow: app.task("tasks.slow", async (i: number, ms: number) => (await delay(ms), i)),
  };
  return { app, pair, calls, ...tasks };
}

/** Run workers until a drain finds nothing (follow-ups are published at batch end). */
async function drainAll(...apps: Celeriac[]): Promise<void> {
  for (let i = 0; i < 30; i++) {
    const reports = await Promise.all(apps.map((a) => a.worker({ concurrency: 4 }).drain()));
    if (reports.every((r) => r.processed === 0)) return;
  }
}

async function claimAll(broker: PullBroker, queue = "celery"): Promise<TaskMessage[]> {
  const ds = await broker.claim([queue], { max: 100, visibilityMs: 60_000 });
  await broker.ack(ds);
  return ds.map((d) => decodeMessage(d.payload));
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

export function canvasCases(f: Fixture): Case[] {
  return [
    {
      name: "canvas: chain of three passes each result to the next step",
      fn: async () => {
        const { app, add } = setup(f);
        const r = await chain(add.s(2, 2), add.s(4), add.s(8)).delay();
        await drainAll(app);
        equal(await r.get(T), 16);
        equal(await r.parent!.get(T), 8);
        equal(await r.parent!.parent!.get(T), 4);
        equal(r.parent!.parent!.parent, null);
      },
    },
    {
      name: "canvas: pipe builds the same chain and si() ignores the parent result",
      fn: async () => {
        const { app, add, mul } = setup(f);
        const r = await add.s(2, 2).pipe(mul.s(4)).delay();
        const s = await add.s(1, 2).pipe(add.si(10, 10)).pipe(mul.s(2)).delay();
        await drainAll(app);
        equal(await r.get(T), 16);
        equal(await s.get(T), 40);
      },
    },
    {
      name: "canvas: group of ten returns results in submission order",
      fn: async () => {
        const { app, add } = setup(f);
        const g = await group(range(10).map((i) => add.s(i, i))).delay();
        ok(g instanceof GroupResult);
        equal(g.results.length, 10);
        equal(await g.ready(), false);
        await drainAll(app);
        deepEqual(await g.get(T), range(10).map((i) => i * 2));
        equal(await g.ready(), true);
        equal(await g.successful(), true);
        equal(await g.failed(), false);
        equal(await g.completedCount(), 10);
        deepEqual(await g.join(T), range(10).map((i) => i * 2));
        equal((await g.results[3].meta())?.group_id, g.id);
      },
    },
    {
      name: "canvas: group results keep submission order with concurrency",
      fn: async () => {
        const { app, slow } = setup(f);
        const g = await group(range(8).map((i) => slow.s(i, (8 - i) * 5))).delay();
        await app.worker({ concurrency: 8 }).drain();
        await drainAll(app);
        deepEqual(await g.get(T), range(8));
      },
    },
    {
      name: "canvas: a failed group member is thrown by get() and counted by failed()",
      fn: async () => {
        const { app, add, fail } = setup(f);
        const g = await group([add.s(1, 1), fail.s(), add.s(2, 2)]).delay();
        await drainAll(app);
        await rejects(() => g.get(T), (e) => e.name === "TypeError");
        equal(await g.failed(), true);
        equal(await g.completedCount(), 2);
        deepEqual(await g.get({ ...T, propagate: false }).then((v) => [v[0], v[2]]), [2, 4]);
      },
    },
    {
      name: "canvas: chord sums its header results",
      fn: async () => {
        const { app, add, xsum, calls } = setup(f);
        const r = await chord([add.s(1, 1), add.s(2, 2)], xsum.s()).delay();
        ok(r.parent instanceof GroupResult);
        await drainAll(app);
        equal(await r.get(T), 6);
        deepEqual(await r.parent!.get(T), [2, 4]);
        deepEqual(calls.xsum, [[[2, 4]]]);
      },
    },
    {
      name: "canvas: chord with a failing member stores ChordError on the body",
      fn: async () => {
        const { app, add, xsum, fail, onError, calls } = setup(f);
        const c = chord([add.s(1, 1), fail.s(), add.s(2, 2)], xsum.s());
        c.linkError(onError.s());
        const r = await c.delay();
        await drainAll(app);
        const meta = await r.meta();
        equal(meta?.status, "FAILURE");
        const exc = meta?.result as { exc_type: string; exc_message: string[]; exc_module: string };
        equal(exc.exc_type, "ChordError");
        equal(exc.exc_module, "celery.exceptions");
        const failedId = (r.parent as GroupResult).results[1].id;
        equal(exc.exc_message[0], `Dependency ${failedId} raised TypeError('boom')`);
        equal(calls.xsum, undefined, "the body never runs");
        deepEqual(calls.onError, [[r.id]]);
        await rejects(() => r.get(T), (e) => e.name === "TypeError");
        equal(((await r.get({ ...T, propagate: false })) as unknown as { exc_type: string }).exc_type, "ChordError");
      },
    },
    {
      name: "canvas: chord with an empty header calls the body with []",
      fn: async () => {
        const { app, xsum, calls } = setup(f);
        const r = await chord([], xsum.s()).delay();
        await drainAll(app);
        equal(await r.get(T), 0);
        deepEqual(calls.xsum, [[[]]]);
      },
    },
    {
      name: "canvas: chain inside group runs each chain and keeps member order",
      fn: async () => {
        const { app, add, mul } = setup(f);
        const g = await group([chain(add.s(1, 1), mul.s(3)), chain(add.s(2, 2), mul.s(3)), add.s(5, 5)]).delay();
        await drainAll(app);
        deepEqual(await g.get(T), [6, 12, 10]);
        equal(await g.results[0].parent!.get(T), 2);
      },
    },
    {
      name: "canvas: group inside chain is upgraded to a chord",
      fn: async () => {
        const { app, pair, add, xsum } = setup(f);
        const r = await chain(add.s(1, 1), group([add.s(1), add.s(2)]), xsum.s()).delay();
        const [first] = await claimAll(pair.broker);
        equal(first.embed.chain!.length, 1);
        equal(first.embed.chain![0].task, "celery.chord");
        equal(first.embed.chain![0].subtask_type, "chord");
        await pair.broker.publish([toOutbound(first)]);
        await drainAll(app);
        equal(await r.get(T), 7);
        deepEqual(await r.parent!.get(T), [3, 4]);
        equal(await r.parent!.parent!.get(T), 2);
      },
    },
    {
      name: "canvas: chain ending in a chord and chord body that is a chain",
      fn: async () => {
        const { app, add, mul, xsum } = setup(f);
        const a = await chain(add.s(1, 1), chord([add.s(1), add.s(2)], xsum.s())).delay();
        const b = await chord([add.s(1, 1), add.s(2, 2)], chain(xsum.s(), mul.s(10))).delay();
        await drainAll(app);
        equal(await a.get(T), 7);
        equal(await b.get(T), 60);
        equal(await b.parent!.get(T), 6);
        deepEqual(await b.parent!.parent!.get(T), [2, 4]);
      },
    },
    {
      name: "canvas: nested chords (group of chords, chord inside a chord header)",
      fn: async () => {
        const { app, add, xsum } = setup(f);
        const g = await group([chord([add.s(1, 1), add.s(2, 2)], xsum.s()), chord([add.s(3, 3)], xsum.s())]).delay();
        const c = await chord([chord([add.s(1, 1), add.s(2, 2)], xsum.s()), add.s(5, 5), group([add.s(1, 0), add.s(2, 0)])], xsum.s()).delay();
        await drainAll(app);
        deepEqual(await g.get(T), [6, 6]);
        equal(await c.get(T), 6 + 10 + 1 + 2);
      },
    },
    {
      name: "canvas: a failing chain step stops the chain and calls its errback",
      fn: async () => {
        const { app, add, fail, onError, calls } = setup(f);
        const c = chain(add.s(1, 1), fail.s(), add.s(1));
        c.linkError(onError.s());
        const r = await c.delay();
        await drainAll(app);
        deepEqual(calls.onError, [[r.parent!.id]]);
        deepEqual(calls.add, [[1, 1]]);
        equal(await r.state, "PENDING");
        await rejects(() => r.get(T), (e) => e.name === "TypeError" && e.taskId === r.parent!.id);
      },
    },
    {
      name: "canvas: two workers racing on chord members fire the body once",
      fn: async () => {
        const pair = pairOf(f);
        const calls: Record<string, unknown[][]> = {};
        const one = setup(f, pair, calls);
        const two = setup(f, pair, calls);
        const r = await chord(range(20).map((i) => one.add.s(i, 0)), one.xsum.s()).delay();
        await drainAll(one.app, two.app);
        equal(await two.app.AsyncResult(r.id).get(T), 190);
        equal(calls.xsum?.length, 1);
      },
    },
    {
      name: "canvas: map and starmap run inline in one celery.map/celery.starmap task",
      fn: async () => {
        const { app, pair, add, xsum } = setup(f);
        const m = await xsum.map([[1, 2], [3]]).delay();
        const s = await add.starmap([[1, 2], [3, 4]]).delay();
        const msgs = await claimAll(pair.broker);
        deepEqual(msgs.map((x) => x.headers.task), ["celery.map", "celery.starmap"]);
        deepEqual(msgs[0].kwargs, { task: xsum.s().toJSON(), it: [[1, 2], [3]] });
        await pair.broker.publish(msgs.map(toOutbound));
        await drainAll(app);
        deepEqual(await m.get(T), [3, 3]);
        deepEqual(await s.get(T), [3, 7]);
      },
    },
    {
      name: "canvas: chunks are sent as a group of celery.starmap tasks",
      fn: async () => {
        const { app, pair, add } = setup(f);
        const pairs = range(10).map((i) => [i, i]);
        const g = await add.chunks(pairs, 3).delay();
        const msgs = await claimAll(pair.broker);
        equal(msgs.length, 4);
        ok(msgs.every((x) => x.headers.task === "celery.starmap" && x.headers.group === g.id));
        await pair.broker.publish(msgs.map(toOutbound));
        await drainAll(app);
        deepEqual(await g.get(T), [[0, 2, 4], [6, 8, 10], [12, 14, 16], [18]]);
      },
    },
    {
      name: "canvas: wire: a chain is a reversed embed.chain with frozen task ids",
      fn: async () => {
        const { pair, add } = setup(f);
        const r = await chain(add.s(1, 2), add.s(10), add.si(100, 100)).delay();
        const msgs = await claimAll(pair.broker);
        equal(msgs.length, 1);
        const [m] = msgs;
        equal(m.headers.id, r.parent!.parent!.id);
        equal(m.headers.root_id, m.headers.id);
        deepEqual(m.args, [1, 2]);
        const steps = m.embed.chain!;
        deepEqual(steps.map((s) => [s.options.task_id, s.args, s.immutable]), [[r.id, [100, 100], true], [r.parent!.id, [10], false]]);
      },
    },
    {
      name: "canvas: wire: group members carry group and group_index headers",
      fn: async () => {
        const { pair, add } = setup(f);
        const g = await group(range(3).map((i) => add.s(i, i))).delay();
        const msgs = (await claimAll(pair.broker)).sort((a, b) => a.headers.group_index! - b.headers.group_index!);
        deepEqual(msgs.map((m) => [m.headers.id, m.headers.group, m.headers.group_index]), g.results.map((r, i) => [r.id, g.id, i]));
      },
    },
    {
      name: "canvas: wire: chord members carry embed.chord with the body's task id",
      fn: async () => {
        const { pair, add, xsum } = setup(f);
        const r = await chord(range(3).map((i) => add.s(i, i)), xsum.s()).delay();
        const msgs = await claimAll(pair.broker);
        equal(msgs.length, 3);
        for (const m of msgs) {
          equal(m.headers.group, r.parent!.id);
          equal(m.embed.chord!.task, "tasks.xsum");
          equal(m.embed.chord!.options.task_id, r.id);
        }
        deepEqual(msgs.map((m) => m.headers.group_index).sort(), [0, 1, 2]);
      },
    },
    {
      name: "canvas: wire: the chord size is stored before the header is published",
      fn: async () => {
        const events: string[] = [];
        const pair = spy(pairOf(f), events);
        const { add, xsum } = setup(f, pair);
        const r = await chord(range(3).map((i) => add.s(i, i)), xsum.s()).delay();
        deepEqual(events, [`chordSize ${r.parent!.id} 3`, "publish 3"]);
      },
    },
    {
      name: "canvas: sending a group of 10 costs one publish call",
      fn: async () => {
        const events: string[] = [];
        const pair = spy(pairOf(f), events);
        const { add, xsum } = setup(f, pair);
        await group(range(10).map((i) => add.s(i, i))).delay();
        deepEqual(events, ["publish 10"]);
        events.length = 0;
        await group([chord(range(4).map((i) => add.s(i, i)), xsum.s()), chain(add.s(1, 1), add.s(2))]).delay();
        deepEqual(events.filter((e) => e.startsWith("publish")), ["publish 5"]);
      },
    },
    {
      name: "canvas: a chord sent as a link callback runs with the parent's result",
      fn: async () => {
        const { app, add, xsum } = setup(f);
        const r = await add.applyAsync([1, 1], { link: chord([add.s(1), add.s(2)], xsum.s()) });
        await drainAll(app);
        const [child] = await r.children;
        equal(await child.get(T), 3 + 4);
      },
    },
    {
      name: "canvas: unfrozen Celery dicts in embed.chain run (as a Python client sends them)",
      fn: async () => {
        const { app, add, xsum, calls } = setup(f);
        const rest = chainDict([groupDict([add.s(1).toJSON(), add.s(2).toJSON()]), xsum.s().toJSON()]);
        const r = await app.sendTask("tasks.add", [1, 1], { chain: [rest] });
        await drainAll(app);
        deepEqual(calls.xsum, [[[3, 4]]]);
        const [child] = await r.children;
        equal(await child.get(T), 7);
      },
    },
  ];
}

function spy(pair: { broker: PullBroker; backend: ResultBackend }, events: string[]): typeof pair {
  const publish = pair.broker.publish.bind(pair.broker);
  const chordSize = pair.backend.chordSize.bind(pair.backend);
  pair.broker.publish = (messages) => (events.push(`publish ${messages.length}`), publish(messages));
  pair.backend.chordSize = (gid, size, ttl) => (events.push(`chordSize ${gid} ${size}`), chordSize(gid, size, ttl));
  return pair;
}
