import { describe, expect, it } from "vitest";
import { Celeriac } from "../../mod.ts";
import { chain, chord, group, Chain, Chord, Group, GroupResult } from "../../src/canvas/mod.ts";
import { chainDict, chordDict, groupDict } from "../../src/canvas/dicts.ts";
import { freeze, handleOf, normalizeChain, resultIds } from "../../src/canvas/freeze.ts";
import { descend, mergeOptions, Plan, plan } from "../../src/canvas/plan.ts";
import { applyToOptions, optionsToApply, Signature } from "../../src/canvas/signature.ts";
import type { SignatureDict } from "../../src/types.ts";

function tasks() {
  const app = new Celeriac("unit");
  const add = app.task("tasks.add", (a: number, b: number) => a + b);
  const mul = app.task("tasks.mul", (a: number, b: number) => a * b);
  const xsum = app.task("tasks.xsum", (n: number[]) => n.reduce((s, x) => s + x, 0));
  return { app, add, mul, xsum };
}

const plain = (task: string, args: unknown[] = []): SignatureDict =>
  ({ task, args, kwargs: {}, options: {}, subtask_type: null, immutable: false });
const shape = (s: SignatureDict): unknown =>
  s.subtask_type === "chain" || s.subtask_type === "group"
    ? [s.subtask_type, (s.kwargs.tasks as SignatureDict[]).map(shape)]
    : s.subtask_type === "chord"
    ? ["chord", shape(s.kwargs.header as SignatureDict), shape(s.kwargs.body as SignatureDict)]
    : s.task;

describe("canvas dicts", () => {
  it("serializes chain, group and chord as Celery's dicts", () => {
    const { add, xsum } = tasks();
    const c = chain(add.s(1, 2), add.s(3));
    expect(c).toBeInstanceOf(Chain);
    expect(c.toJSON()).toMatchObject({ task: "celery.chain", args: [], subtask_type: "chain", immutable: false, options: {} });
    expect((c.toJSON().kwargs.tasks as SignatureDict[]).map((t) => t.args)).toEqual([[1, 2], [3]]);
    expect(group([add.s(1, 1)]).toJSON()).toMatchObject({ task: "celery.group", subtask_type: "group", kwargs: { tasks: [{ task: "tasks.add" }] } });
    const ch = chord([add.s(1, 1)], xsum.s());
    expect(ch).toBeInstanceOf(Chord);
    expect(ch.toJSON()).toMatchObject({
      task: "celery.chord", subtask_type: "chord", kwargs: { header: [{ task: "tasks.add" }], body: { task: "tasks.xsum" }, kwargs: {} },
    });
  });

  it("serializes map, starmap and chunks as immutable celery.* signatures", () => {
    const { add, xsum } = tasks();
    expect(xsum.map([[1]]).toJSON()).toMatchObject({ task: "celery.map", subtask_type: "xmap", immutable: true, kwargs: { it: [[1]], task: { task: "tasks.xsum" } } });
    expect(add.starmap([[1, 2]]).toJSON()).toMatchObject({ task: "celery.starmap", subtask_type: "xstarmap", immutable: true });
    expect(add.chunks([[1, 2]], 5).toJSON()).toMatchObject({ task: "celery.chunks", subtask_type: "chunks", kwargs: { n: 5 } });
    expect(() => add.chunks([], 0)).toThrow(/positive integer/);
    expect(add.chunks([[1, 1], [2, 2], [3, 3]], 2).group().tasks.map((t) => t.kwargs.it)).toEqual([[[1, 1], [2, 2]], [[3, 3]]]);
  });

  it("pipe flattens chains and revives dicts in their classes", () => {
    const { add, mul } = tasks();
    const c = add.s(1, 1).pipe(mul.s(2)).pipe(add.s(3));
    expect(c).toBeInstanceOf(Chain);
    expect((c as Chain).tasks.map((t) => t.task)).toEqual(["tasks.add", "tasks.mul", "tasks.add"]);
    expect(Signature.from(add.s().host, groupDict([]))).toBeInstanceOf(Group);
  });

  it("group.link goes to the first member, immutable (as Celery)", () => {
    const { add, xsum } = tasks();
    const g = group([add.s(1, 1), add.s(2, 2)]);
    g.link(xsum.s());
    const [a, b] = g.tasks;
    expect(a.options.link).toEqual([{ ...xsum.s().toJSON(), immutable: true }]);
    expect(b.options.link).toBeUndefined();
  });

  it("counts chord join entries like Celery's _descend", () => {
    const g = groupDict([plain("a"), chainDict([plain("b"), groupDict([plain("c"), plain("d")])]), chordDict([plain("e")], plain("f"))]);
    expect(descend(g)).toBe(1 + 2 + 1);
    expect(descend(chainDict([plain("a"), groupDict([])]))).toBe(1);
  });

  it("converts options both ways, including canvas placement", () => {
    const chordBody = plain("body");
    const o = { queue: "q", countdown: 5, group: "g", groupIndex: 2, chord: chordBody, chain: [plain("n")], rootId: "r", parentId: "p" };
    expect(optionsToApply(applyToOptions(o))).toEqual(o);
  });
});

describe("freeze", () => {
  it("splices chains, unrolls one-member groups and upgrades group | sig to a chord", () => {
    const steps = normalizeChain([
      chainDict([plain("a"), groupDict([plain("b")])]), groupDict([plain("c"), plain("d")]), plain("e"), groupDict([]),
    ]);
    expect(steps.map(shape)).toEqual(["a", "b", ["chord", ["group", ["c", "d"]], "e"]]);
  });

  it("splits chord(h, chain(a, b)) inside a chain into chord(h, a), b", () => {
    const steps = normalizeChain([plain("x"), chordDict([plain("h")], chainDict([plain("a"), plain("b")]))]);
    expect(steps.map(shape)).toEqual(["x", ["chord", ["group", ["h"]], "a"], "b"]);
  });

  it("gives every task an id, flattens nested groups and is idempotent", () => {
    const frozen = freeze(groupDict([plain("a"), groupDict([plain("b"), plain("c")], { queue: "q" })]));
    const tasks = frozen.kwargs.tasks as SignatureDict[];
    expect(tasks.map((t) => t.task)).toEqual(["a", "b", "c"]);
    expect(tasks[1].options.queue).toBe("q");
    expect(tasks.every((t) => typeof t.options.task_id === "string")).toBe(true);
    expect(freeze(frozen)).toEqual(frozen);
    const c = freeze(chordDict([plain("a")], chainDict([plain("b"), plain("c")])), "body-id");
    expect(resultIds(c)).toEqual(["body-id"]);
    expect(freeze(c)).toEqual(c);
  });

  it("builds handles: chain parents walk back, chord body's parent is the header", () => {
    const { app } = tasks();
    const f = freeze(chainDict([plain("a"), chordDict([plain("h1"), plain("h2")], plain("b")), plain("c")]));
    const r = handleOf(f, app);
    const header = r.parent!.parent!;
    expect(header).toBeInstanceOf(GroupResult);
    expect((header as GroupResult).results).toHaveLength(2);
    expect(header.parent!.id).toBe(((f.kwargs.tasks as SignatureDict[])[0]).options.task_id);
    expect(header.parent!.parent).toBeNull();
  });
});

describe("plan", () => {
  it("merges options: the caller wins, callbacks and chains add up", () => {
    const o = mergeOptions({ queue: "a", link: [plain("l1")], chain: [plain("own")] }, { queue: "b", link: plain("l2"), chain: [plain("outer")] });
    expect(o.queue).toBe("b");
    expect((o.link as SignatureDict[]).map((s) => s.task)).toEqual(["l1", "l2"]);
    expect(o.chain!.map((s) => s.task)).toEqual(["outer", "own"]);
  });

  it("prepares a chord as members with group, index and the body, plus one chord size", () => {
    const { app, add, xsum } = tasks();
    const batch = new Plan();
    const r = plan(app, chord([add.s(1, 1), group([add.s(2, 2), add.s(3, 3)])], xsum.s()).set({ queue: "q", countdown: 9 }), [], {}, batch);
    expect(batch.chordSizes).toEqual([{ groupId: r.parent!.id, size: 3 }]);
    expect(batch.messages.map((m) => [m.headers.group, m.headers.group_index, m.embed.chord?.options.task_id])).toEqual(
      [0, 1, 2].map((i) => [r.parent!.id, i, r.id]),
    );
    expect(batch.messages.every((m) => m.properties.delivery_info.routing_key === "q" && m.headers.eta)).toBe(true);
    expect(batch.messages[0].embed.chord!.options).toMatchObject({ queue: "q" });
    expect(batch.messages[0].embed.chord!.options.countdown).toBeUndefined();
    expect(batch.messages.map((m) => m.headers.root_id)).toEqual([0, 1, 2].map(() => batch.messages[0].headers.id));
  });

  it("puts chain membership of a group member on the chain's last step", () => {
    const { app, add, mul, xsum } = tasks();
    const batch = new Plan();
    const r = plan(app, chord([chain(add.s(1, 1), mul.s(2)), add.s(5, 5)], xsum.s()), [], {}, batch);
    const [first, second] = batch.messages;
    expect(first.headers.group).toBeNull();
    expect(first.embed.chain![0].options).toMatchObject({ group_id: r.parent!.id, group_index: 0, chord: { task: "tasks.xsum" } });
    expect([second.headers.group, second.headers.group_index]).toEqual([r.parent!.id, 1]);
  });

  it("sends an empty chord's body with [] and refuses an empty chain", () => {
    const { app, xsum } = tasks();
    const batch = new Plan();
    plan(app, chord([], xsum.s()), [], {}, batch);
    expect(batch.messages.map((m) => [m.headers.task, m.args])).toEqual([["tasks.xsum", [[]]]]);
    expect(batch.chordSizes).toEqual([]);
    expect(() => plan(app, chain([]), [], {}, new Plan())).toThrow(/empty chain/);
  });

  it("routes celery.map like the task it maps", () => {
    const app = new Celeriac("unit", { conf: { taskRoutes: { "math.*": "math" } } });
    const add = app.task("math.add", (a: number, b: number) => a + b);
    const batch = new Plan();
    plan(app, add.starmap([[1, 2]]), [], {}, batch);
    expect(batch.messages[0].properties.delivery_info.routing_key).toBe("math");
    expect(batch.messages[0].args).toEqual([]);
  });

  it("refuses a link on a group (use a chord)", async () => {
    const { add, xsum } = tasks();
    await expect(group([add.s(1, 1)]).applyAsync([], { link: xsum.s() })).rejects.toThrow(/use a chord/);
  });
});

describe("builtins", () => {
  it("celery.map/starmap call the task inline, with kwargs or positional args", async () => {
    const { app, add, xsum } = tasks();
    const call = (name: string, ...a: unknown[]): unknown => (app.tasks.get(name)!.fn as (...x: unknown[]) => unknown)({}, ...a);
    await expect(call("celery.map", { task: xsum.s().toJSON(), it: [[1, 2], [3]] })).resolves.toEqual([3, 3]);
    await expect(call("celery.starmap", add.s().toJSON(), [[1, 2], [3, 4]])).resolves.toEqual([3, 7]);
    await expect(call("celery.map", { task: plain("nope"), it: [1] })).rejects.toThrow(/not registered/);
  });
});
