import { deepEqual, equal } from "../assert.ts";
import type { Case, Fixture } from "../harness.ts";
import type { PullBroker } from "../../../src/ports.ts";

const visibilityMs = 60_000;

// Publish `ids` (payload "p<id>") to `queue`, claim them and dead-letter them in that order.
async function deadLetterAll(b: PullBroker, queue: string, ids: string[], priority = 0): Promise<void> {
  await b.publish(ids.map((id) => ({ id, queue, priority, payload: `p${id}` })));
  const got = await b.claim([queue], { max: ids.length, visibilityMs });
  equal(got.length, ids.length);
  for (const d of got) await b.deadLetter(d, `reason ${d.payload}`);
}

/** The dead-letter list stays bounded, and what is in it can be put back. */
export function deadLetterCases(f: Fixture): Case[] {
  return [
    {
      name: "broker: the dead-letter list keeps only the newest deadLetters.max entries",
      fn: async () => {
        const b = f.broker({ deadLetters: { max: 3 } });
        await deadLetterAll(b, "q", ["1", "2", "3", "4", "5"]);
        deepEqual((await b.deadLetters(10)).map((e) => e.payload), ["p5", "p4", "p3"]);
        deepEqual((await b.deadLetters(2)).map((e) => e.reason), ["reason p5", "reason p4"]);
      },
    },
    {
      name: "broker: dead letters older than deadLetters.ttlSeconds are dropped, and never redriven",
      fn: async () => {
        let t = Date.now();
        const b = f.broker({ now: () => t, deadLetters: { ttlSeconds: 60 } });
        await deadLetterAll(b, "q", ["old"]);
        t += 30_000;
        await deadLetterAll(b, "q", ["new"]);
        t += 40_000; // "old" is 70 s old, "new" 40 s
        deepEqual((await b.deadLetters(10)).map((e) => e.payload), ["pnew"]);
        await deadLetterAll(b, "q", ["newest"]);
        deepEqual((await b.deadLetters(10)).map((e) => e.payload), ["pnewest", "pnew"]);
        t += 61_000;
        deepEqual(await b.deadLetters(10), []);
        equal(await b.redrive({ limit: 10 }), 0);
        equal(await b.size("q"), 0);
      },
    },
    {
      name: "broker: redrive puts the oldest dead letters back on their queue and priority, byte for byte, by limit and queue",
      needs: ["lowPriorityFirst"],
      fn: async () => {
        const b = f.broker();
        await deadLetterAll(b, "q1", ["a"]);
        await deadLetterAll(b, "q1", ["b"], 6);
        await deadLetterAll(b, "q2", ["c"]);
        equal(await b.redrive({ limit: 1, queue: "q1" }), 1);
        deepEqual((await b.deadLetters(10)).map((e) => e.payload), ["pc", "pb"]);
        equal(await b.size("q1"), 1);
        equal(await b.size("q2"), 0);
        const [a] = await b.claim(["q1"], { max: 5, visibilityMs });
        deepEqual([a.payload, a.queue, a.priority], ["pa", "q1", 0]);
        await b.ack([a]);
        equal(await b.redrive({ limit: 10 }), 2);
        deepEqual(await b.deadLetters(10), []);
        const back = await b.claim(["q1", "q2"], { max: 5, visibilityMs });
        deepEqual(back.map((d) => [d.payload, d.queue, d.priority]), [["pc", "q2", 0], ["pb", "q1", 6]]);
        await b.ack(back);
        equal(await b.redrive({ limit: 10 }), 0);
      },
    },
    {
      name: "broker: a redriven message that fails again is dead-lettered again, not lost",
      fn: async () => {
        const b = f.broker({ deadLetters: { max: 2 } });
        await deadLetterAll(b, "q", ["x"]);
        for (let round = 0; round < 3; round++) {
          equal(await b.redrive({ limit: 5 }), 1);
          const [d] = await b.claim(["q"], { max: 5, visibilityMs });
          equal(d.payload, "px");
          await b.deadLetter(d, `round ${round}`);
        }
        deepEqual((await b.deadLetters(5)).map((e) => [e.payload, e.reason]), [["px", "round 2"]]);
      },
    },
  ];
}
