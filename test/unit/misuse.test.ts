import process from "node:process";
import { describe, expect, it } from "vitest";
import { Celeriac, ConfigError, ValidationError } from "../../mod.ts";
import type { PullBroker } from "../../src/ports.ts";

// Issue #15 item 9: misuse fails loudly, with a typed error, and sends nothing.
const size = (app: Celeriac): Promise<number> => (app.broker as PullBroker).size("celery");

describe("misuse", () => {
  it("registering a second task under a name is a ConfigError unless { override: true }", () => {
    const app = new Celeriac("misuse");
    const first = app.task("t.dup", () => 1);
    expect(() => app.task("t.dup", () => 2)).toThrow(ConfigError);
    expect(() => app.task("t.dup", () => 2)).toThrow(/already registered.*override: true/);
    expect(app.tasks.get("t.dup")).toBe(first); // Celery keeps the first
    expect(() => app.task("celery.map", () => 0)).toThrow(ConfigError); // builtins too
    const second = app.task("t.dup", { override: true }, () => 2);
    expect(app.tasks.get("t.dup")).toBe(second);
  });

  it("sendTask with an empty name is refused", async () => {
    const app = new Celeriac("misuse");
    await expect(app.sendTask("")).rejects.toThrow(ConfigError);
    await expect(app.sendTask("   ")).rejects.toThrow(/task name is required/);
    expect(await size(app)).toBe(0);
  });

  it("arguments JSON cannot carry are a ValidationError naming the path; nothing is sent", async () => {
    const app = new Celeriac("misuse");
    const t = app.task("t.any", (..._a: unknown[]) => 1);
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    class Point {
      constructor(readonly x: number) {}
    }
    const cases: [unknown[], Record<string, unknown>, RegExp][] = [
      [[1, { tags: new Set([1]) }], {}, /args\[1\]\.tags: a Set object/],
      [[new Map([["k", 1]])], {}, /args\[0\]: a Map object/],
      [[10n], {}, /args\[0\]: a BigInt/],
      [[() => 1], {}, /args\[0\]: a function/],
      [[cyclic], {}, /args\[0\]\.self: a circular reference/],
      [[Number.NaN], {}, /args\[0\]: NaN/],
      [[new Point(1)], {}, /args\[0\]: a Point object/],
      [[], { when: { n: Infinity } }, /kwargs\.when\.n: Infinity/],
      [[], { s: Symbol("x") }, /kwargs\.s: a symbol/],
    ];
    for (const [args, kwargs, message] of cases) {
      const err = await t.applyAsync(args, { kwargs }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as Error).message).toMatch(message);
    }
    expect(await size(app)).toBe(0);
  });

  it("JSON-safe values pass: Date (its toJSON), undefined, nested plain data, null prototypes", async () => {
    const app = new Celeriac("misuse");
    const t = app.task("t.any", (..._a: unknown[]) => 1);
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { k: [1, "x", null, true] });
    await t.applyAsync([new Date(0), undefined, bare, [[{ a: { b: [] } }]]], { kwargs: { maybe: undefined } });
    expect(await size(app)).toBe(1);
  });

  it("a __proto__ kwarg (or key anywhere in the arguments) is refused, not dropped", async () => {
    const app = new Celeriac("misuse");
    const t = app.task("t.any", (..._a: unknown[]) => 1);
    const kwargs = JSON.parse('{"__proto__": {"admin": true}, "x": 1}') as Record<string, unknown>;
    await expect(t.applyAsync([], { kwargs })).rejects.toThrow(/kwargs\.__proto__: the key __proto__/);
    await expect(t.applyAsync([JSON.parse('{"a": {"__proto__": 1}}')])).rejects.toThrow(/args\[0\]\.a\.__proto__/);
    expect(await size(app)).toBe(0);
  });

  it("no MaxListenersExceededWarning with concurrency above 10 (drain and run share one signal)", async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void warnings.push(w);
    process.on("warning", onWarning);
    try {
      const app = new Celeriac("misuse");
      const N = 25;
      let started = 0;
      let release!: () => void;
      const all = new Promise<void>((r) => (release = r));
      const t = app.task("t.wide", async () => {
        if (++started % N === 0) release();
        await all; // every task is running at the same time before any ends
      });
      for (let i = 0; i < N; i++) await t.delay();
      const stop = new AbortController();
      expect((await app.worker({ concurrency: N }).drain({ signal: stop.signal })).succeeded).toBe(N);
      for (let i = 0; i < N; i++) await t.delay();
      const running = app.worker({ concurrency: N }).run({ signal: stop.signal, pollIntervalMs: 10 });
      while ((await size(app)) > 0 || started < 2 * N) await new Promise((r) => setTimeout(r, 10));
      stop.abort();
      await running;
      await new Promise((r) => setTimeout(r, 0)); // warnings are emitted on a later tick
      expect(warnings.filter((w) => w.name === "MaxListenersExceededWarning")).toEqual([]);
    } finally {
      process.off("warning", onWarning);
    }
  });
});
