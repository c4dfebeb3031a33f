import { deepEqual, equal, ok } from "../assert.ts";
import { manualClock } from "../../support/clock.ts";
import type { Case, Fixture } from "../harness.ts";

const meta = (id: string, status = "SUCCESS", result: unknown = 1) =>
  ({ status, result, traceback: null, children: [], date_done: null, task_id: id });

/** The adapter ports themselves, below the core. */
export function portCases(f: Fixture): Case[] {
  return [
    {
      name: "broker: publish a batch and claim it FIFO within a priority",
      fn: async () => {
        const b = f.broker();
        await b.publish([1, 2, 3].map((i) => ({ id: `id${i}`, queue: "q", priority: 0, payload: `p${i}` })));
        equal(await b.size("q"), 3);
        const got = await b.claim(["q"], { max: 2, visibilityMs: 60_000 });
        deepEqual(got.map((d) => d.payload), ["p1", "p2"]);
        equal(got[0].redelivered, false);
        await b.ack(got);
        const rest = await b.claim(["q"], { max: 10, visibilityMs: 60_000 });
        deepEqual(rest.map((d) => d.payload), ["p3"]);
        await b.ack(rest);
        equal((await b.claim(["q"], { max: 10, visibilityMs: 60_000 })).length, 0);
      },
    },
    {
      name: "broker: delayed messages are claimable only when due",
      needs: ["injectedClock"],
      fn: async () => {
        const clock = manualClock(); // broker and claims read one time that moves only here
        const b = f.broker({ now: clock.now });
        await b.publish([{ id: "d", queue: "q", priority: 0, payload: "later", notBefore: clock.now() + 250 }]);
        equal((await b.claim(["q"], { max: 1, visibilityMs: 60_000, now: clock.now() })).length, 0);
        clock.advance(300);
        const [d] = await b.claim(["q"], { max: 1, visibilityMs: 60_000, now: clock.now() });
        equal(d.payload, "later");
        await b.ack([d]);
      },
    },
    {
      name: "broker: requeue puts a message back now or later",
      needs: ["injectedClock"],
      fn: async () => {
        const clock = manualClock(); // broker and claims read one time that moves only here
        const b = f.broker({ now: clock.now });
        await b.publish([{ id: "a", queue: "q", priority: 0, payload: "a" }, { id: "b", queue: "q", priority: 0, payload: "b" }]);
        const [a] = await b.claim(["q"], { max: 1, visibilityMs: 60_000, now: clock.now() });
        await b.requeue(a, { delayMs: 0 });
        const [again] = await b.claim(["q"], { max: 1, visibilityMs: 60_000, now: clock.now() });
        equal(again.payload, "a", "requeued at the head");
        await b.requeue(again, { delayMs: 200 });
        const [next] = await b.claim(["q"], { max: 1, visibilityMs: 60_000, now: clock.now() });
        equal(next.payload, "b");
        await b.ack([next]);
        clock.advance(250);
        const [late] = await b.claim(["q"], { max: 1, visibilityMs: 60_000, now: clock.now() });
        equal(late.payload, "a");
        await b.ack([late]);
      },
    },
    {
      name: "broker: requeueing a claim that already expired makes no second copy",
      needs: ["visibilityTimeout"],
      fn: async () => {
        const clock = manualClock(); // broker and claims read one time that moves only here
        const b = f.broker({ now: clock.now });
        await b.publish([{ id: "once", queue: "q", priority: 0, payload: "once" }]);
        const [stale] = await b.claim(["q"], { max: 1, visibilityMs: 200, now: clock.now() });
        clock.advance(1100);
        const [back] = await b.claim(["q"], { max: 1, visibilityMs: 200, now: clock.now() }); // restored, claimed again
        equal(back.payload, "once");
        equal(back.redelivered, true);
        await b.requeue(stale, { delayMs: 0 });
        await b.ack([back]);
        equal(await b.size("q"), 0);
        equal((await b.claim(["q"], { max: 5, visibilityMs: 60_000, now: clock.now() })).length, 0);
      },
    },
    {
      name: "broker: extend keeps a running message invisible",
      needs: ["visibilityTimeout"],
      fn: async () => {
        const clock = manualClock(); // broker and claims read one time that moves only here
        const b = f.broker({ now: clock.now });
        await b.publish([{ id: "x", queue: "q", priority: 0, payload: "x" }]);
        const [d] = await b.claim(["q"], { max: 1, visibilityMs: 1000, now: clock.now() });
        clock.advance(700);
        await b.extend!([d], 1000);
        clock.advance(600);
        equal((await b.claim(["q"], { max: 1, visibilityMs: 1000, now: clock.now() })).length, 0, "still invisible after extend");
        await b.ack([d]);
      },
    },
    {
      name: "broker: extend restarts the visibility clock at the caller's now, not the broker's own clock",
      needs: ["visibilityTimeout"],
      fn: async () => {
        // The broker keeps its own (wall) clock; the caller's time runs an hour ahead of it, as a
        // worker's app.clock may. Claims and extends both say `now`, so only the caller's time counts.
        const clock = manualClock(Date.now() + 3_600_000);
        const b = f.broker();
        await b.publish([{ id: "y", queue: "q", priority: 0, payload: "y" }]);
        const [d] = await b.claim(["q"], { max: 1, visibilityMs: 1000, now: clock.now() });
        clock.advance(700);
        await b.extend!([d], 1000, { now: clock.now() });
        clock.advance(600);
        equal((await b.claim(["q"], { max: 1, visibilityMs: 1000, now: clock.now() })).length, 0, "still invisible after extend at now");
        clock.advance(500);
        const [back] = await b.claim(["q"], { max: 1, visibilityMs: 1000, now: clock.now() });
        equal(back?.payload, "y", "visible again visibilityMs after the extend's now");
        await b.ack([back]);
      },
    },
    {
      name: "broker: claim marks revoked ids",
      needs: ["revocation"],
      fn: async () => {
        const b = f.broker();
        await b.publish([{ id: "r1", queue: "q", priority: 0, payload: "r1" }, { id: "r2", queue: "q", priority: 0, payload: "r2" }]);
        await b.revoke!(["r1"], 60_000);
        const got = await b.claim(["q"], { max: 2, visibilityMs: 60_000 });
        deepEqual(got.map((d) => d.revoked === true), [true, false]);
        await b.ack(got);
      },
    },
    {
      name: "broker: revoke 60,000 ids in one call (a large group), and 3,000 delayed messages in one publish",
      needs: ["revocation"],
      fn: async () => {
        // The clients pass members as call arguments; ~50,000 in one call overflowed the stack.
        const b = f.broker();
        const ids = Array.from({ length: 60_000 }, (_, i) => `big-${i}`);
        await b.revoke!(ids, 60_000);
        const later = Date.now() + 3_600_000;
        await b.publish(Array.from({ length: 3000 }, (_, i) => ({ id: `d${i}`, queue: "big", priority: 0, payload: `d${i}`, notBefore: later })));
        await b.publish([{ id: "big-59999", queue: "big", priority: 0, payload: "last" }, { id: "x", queue: "big", priority: 0, payload: "x" }]);
        const got = await b.claim(["big"], { max: 5, visibilityMs: 60_000 });
        deepEqual(got.map((d) => [d.payload, d.revoked === true]), [["last", true], ["x", false]]);
        await b.ack(got);
        await b.purge?.("big");
      },
    },
    {
      name: "backend: set, get, mget in order, delete",
      fn: async () => {
        const be = f.backend();
        await be.set([{ meta: meta("t1", "SUCCESS", { a: [1, "x"] }), ttlMs: 60_000 }, { meta: meta("t2", "FAILURE"), ttlMs: null }]);
        deepEqual((await be.get("t1"))!.result, { a: [1, "x"] });
        const got = await be.mget(["t2", "nope", "t1"]);
        deepEqual(got.map((m) => m?.status ?? null), ["FAILURE", null, "SUCCESS"]);
        await be.delete(["t1", "t2"]);
        equal(await be.get("t1"), null);
      },
    },
    {
      name: "backend: setIfAbsent lets exactly one of many callers win, release frees the key",
      fn: async () => {
        const be = f.backend();
        const wins = await Promise.all(Array.from({ length: 25 }, () => be.setIfAbsent("slot-1", "x", 60_000)));
        equal(wins.filter(Boolean).length, 1);
        await be.release("slot-1");
        equal(await be.setIfAbsent("slot-1", "y", 60_000), true, "a released key can be claimed again");
      },
    },
    {
      name: "backend: chordJoin hands the ordered entries to exactly one member, and again to it re-joining until chordDone",
      fn: async () => {
        const be = f.backend();
        await be.chordSize("g1", 5, 60_000);
        const outs = await Promise.all([4, 2, 0, 3, 1].map((i) => be.chordJoin("g1", i, `e${i}`, 60_000)));
        const winners = outs.filter((o) => o !== null);
        equal(winners.length, 1);
        deepEqual(winners[0], ["e0", "e1", "e2", "e3", "e4"]);
        const firer = [4, 2, 0, 3, 1][outs.findIndex((o) => o !== null)]!;
        deepEqual(await be.chordJoin("g1", firer, "again", 60_000), ["e0", "e1", "e2", "e3", "e4"], "the firer re-joining fires again");
        await be.chordDone("g1");
        equal(await be.chordJoin("g1", 3, "e3", 60_000), null, "after chordDone the join is gone");
        ok(true);
      },
    },
  ];
}
