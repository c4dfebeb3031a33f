// Task schemas are any Standard Schema: zod 4, valibot 1, or a hand-written one.
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import * as z from "zod";
import { Celeriac, ConfigError, ValidationError, type StandardSchemaV1 } from "../../mod.ts";

const positiveInts: StandardSchemaV1 = {
  "~standard": {
    version: 1, vendor: "hand",
    validate: (x) => Array.isArray(x) && x.every((n) => Number.isInteger(n) && n > 0)
      ? { value: x }
      : { issues: [{ message: "expected positive integers", path: [{ key: 0 }] }] },
  },
};

describe.each([
  ["zod", z.tuple([z.number(), z.number()])],
  ["valibot", v.tuple([v.number(), v.number()])],
  ["hand-written", positiveInts],
])("a %s args schema", (_vendor, schema) => {
  it("lets valid args through to the worker and refuses invalid ones when sending", async () => {
    const app = new Celeriac("schemas");
    const add = app.task("tasks.add", { args: schema as StandardSchemaV1 }, (a: number, b: number) => a + b);
    const r = await add.delay(2, 3);
    await app.worker().drain();
    expect(await r.get()).toBe(5);
    const err = await add.applyAsync(["x", 1] as never).catch((e) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toContain("invalid args: 0:");
    expect(err.issues[0]).toEqual({ message: expect.any(String), path: [0] });
  });
});

it("a kwargs schema is checked again when the message runs (a foreign producer skipped it)", async () => {
  const app = new Celeriac("schemas");
  app.task("tasks.greet", { kwargs: v.object({ name: v.string() }) }, (kw: { name: string }) => `hi ${kw.name}`);
  const other = new Celeriac("producer", { broker: app.broker, backend: app.backend });
  const r = await other.sendTask("tasks.greet", [], { kwargs: { name: 7 } });
  expect(await app.worker().drain()).toMatchObject({ failed: 1 });
  expect(await r.state).toBe("FAILURE");
});

it("a non-schema or an async schema is a ConfigError", async () => {
  const app = new Celeriac("schemas");
  const bad = app.task("tasks.bad", { args: {} as StandardSchemaV1 }, () => 1);
  await expect(bad.delay()).rejects.toThrow(ConfigError);
  const later: StandardSchemaV1 = { "~standard": { version: 1, vendor: "x", validate: async (x) => ({ value: x }) } };
  const slow = app.task("tasks.slow", { args: later }, () => 1);
  await expect(slow.delay()).rejects.toThrow(/asynchronous/);
});
