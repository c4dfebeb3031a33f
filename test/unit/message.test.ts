import { describe, expect, it } from "vitest";
import { buildMessage, decodeIncoming, decodeMessage, encodeMessage, MessageError, toOutbound } from "../../mod.ts";

// Captured from Redis with Celery 5.2.6 (docs/wire-format.md §1).
const CAPTURED = JSON.stringify({
  body: "W1sxLCAxXSwge30sIHsiY2FsbGJhY2tzIjogbnVsbCwgImVycmJhY2tzIjogbnVsbCwgImNoYWluIjogbnVsbCwgImNob3JkIjogbnVsbH1d",
  "content-encoding": "utf-8",
  "content-type": "application/json",
  headers: {
    lang: "py", task: "tasks.add", id: "33333333-3333-3333-3333-333333333333", shadow: null,
    eta: "2026-11-23T19:25:36.739300+00:00", expires: "2026-11-23T19:34:36.739300+00:00", group: null,
    group_index: null, retries: 0, timelimit: [null, null], root_id: "33333333-3333-3333-3333-333333333333",
    parent_id: null, argsrepr: "(1, 1)", kwargsrepr: "{}", origin: "gen6560@vm", ignore_result: false, "x-custom": "v",
  },
  properties: {
    correlation_id: "33333333-3333-3333-3333-333333333333", reply_to: "0dbab0dc-0fab-31a5-9c3b-d3bd6f49c88e",
    delivery_mode: 2, expiration: "600000", delivery_info: { exchange: "", routing_key: "celery" }, priority: 0,
    body_encoding: "base64", delivery_tag: "3e92581b-c65f-4612-9d74-febd89c3caf9",
  },
});

describe("protocol v2 messages", () => {
  it("decodes a message captured from Python Celery", () => {
    const m = decodeMessage(CAPTURED);
    expect(m.headers.task).toBe("tasks.add");
    expect(m.args).toEqual([1, 1]);
    expect(m.kwargs).toEqual({});
    expect(m.embed).toEqual({ callbacks: null, errbacks: null, chain: null, chord: null });
    expect(m.headers["x-custom"]).toBe("v");
    expect(toOutbound(m).notBefore).toBe(Date.parse("2026-11-23T19:25:36.739Z"));
  });

  it("round-trips what it builds, unicode included", () => {
    const m = buildMessage({ task: "t", args: ["héllo ✓", { a: [1] }], kwargs: { k: "ü" }, queue: "q", priority: 7 });
    const back = decodeMessage(encodeMessage(m));
    expect(back.args).toEqual(["héllo ✓", { a: [1] }]);
    expect(back.kwargs).toEqual({ k: "ü" });
    expect(back.properties.priority).toBe(7);
    expect(back.properties.delivery_info.routing_key).toBe("q");
  });

  it("accepts a raw JSON body without body_encoding; decodeIncoming unwraps kombu 5.3 type markers", async () => {
    const marker = { __type__: "datetime", __value__: "2026-01-01T00:00:00" };
    const raw = JSON.stringify({ body: JSON.stringify([[marker], {}, null]), headers: { task: "t", id: "1" }, properties: {} });
    const m = await decodeIncoming(raw);
    expect(m.args).toEqual(["2026-01-01T00:00:00"]);
    expect(m.headers.root_id).toBe("1");
    // The strict decoder (brokers without `decode`, such as memory) keeps the arguments as sent.
    expect(decodeMessage(raw).args).toEqual([marker]);
  });

  it.each([
    ["not JSON", "{", /not valid JSON/],
    ["a two-element body", JSON.stringify({ body: btoa("[[1],{}]"), headers: { task: "t", id: "1" }, properties: { body_encoding: "base64" } }), /body is not/],
    ["no task header", JSON.stringify({ body: btoa("[[],{},{}]"), headers: { id: "1" }, properties: { body_encoding: "base64" } }), /headers.task/],
    ["a bad eta", JSON.stringify({ body: "[[],{},{}]", headers: { task: "t", id: "1", eta: "soon" }, properties: {} }), /eta/],
    ["pickle", JSON.stringify({ body: "x", "content-type": "application/x-python-serialize", headers: { task: "t", id: "1" } }), /content-type/],
    ["a bad timelimit", JSON.stringify({ body: "[[],{},null]", headers: { task: "t", id: "1", timelimit: [1] }, properties: {} }), /headers.timelimit/],
    ["negative retries", JSON.stringify({ body: "[[],{},null]", headers: { task: "t", id: "1", retries: -1 }, properties: {} }), /headers.retries/],
    ["a callback without a task", JSON.stringify({ body: JSON.stringify([[], {}, { callbacks: [{ args: [] }] }]), headers: { task: "t", id: "1" }, properties: {} }), /2.callbacks.0.task/],
    ["kwargs that are a list", JSON.stringify({ body: "[[],[],null]", headers: { task: "t", id: "1" }, properties: {} }), /1: expected an object/],
    ["an array envelope", "[1]", /\(root\): expected an object/],
  ])("rejects %s with a MessageError", (_label, raw, reason) => {
    expect(() => decodeMessage(raw)).toThrow(MessageError);
    expect(() => decodeMessage(raw)).toThrow(reason);
  });

  it("fills Python's defaults into embedded signatures and null headers", () => {
    const raw = JSON.stringify({
      body: JSON.stringify([[1], {}, { chain: [{ task: "next" }], chord: { task: "body", immutable: true } }]),
      headers: { task: "t", id: "1", retries: null, timelimit: null, argsrepr: null }, properties: {},
    });
    const m = decodeMessage(raw);
    expect(m.embed.chain).toEqual([{ task: "next", args: [], kwargs: {}, options: {}, subtask_type: null, immutable: false }]);
    expect(m.embed.chord).toMatchObject({ task: "body", immutable: true, args: [] });
    expect(m.embed.callbacks).toBeNull();
    expect([m.headers.retries, m.headers.timelimit, m.headers.argsrepr, m.headers.lang]).toEqual([0, [null, null], "", "py"]);
  });
});
