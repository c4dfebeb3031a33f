// A message a worker already holds (claimed ahead, waiting for a slot) and then revoked with
// `app.revoke` must not run: the claim saw only what was revoked before it. Time is a manual
// clock; waits are on task events, not sleeps. drain() on every adapter: the conformance case
// "a message the worker already holds and then revoked ..." (test/conformance/cases/execution.ts).
import { describe, expect, it } from "vitest";
import { Celeriac, REVOKE_RECHECK_MS, REVOKED, SUCCESS } from "../../mod.ts";
import { memoryBackend, memoryBroker } from "../../adapters/memory/mod.ts";
import { manualClock } from "../support/clock.ts";

/** An app on a manual clock whose backend counts `mget` reads; a gate holds the first task. */
function heldApp() {
  const clock = manualClock();
  const backend = memoryBackend({ now: clock.now });
  let mgets = 0;
  const mget = backend.mget.bind(backend);
  backend.mget = (ids) => (mgets++, mget(ids));
  const app = new Celeriac("held", { broker: memoryBroker({ now: clock.now }), backend, clock });
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let started!: () => void;
  const blockerStarted = new Promise<void>((r) => (started = r));
  const ran: string[] = [];
  const blocker = app.task("t.block", async () => {
    started();
    await gate;
    ran.push("block");
  });
  const note = app.task("t.note", (label: string) => void ran.push(label));
  return { app, clock, blocker, note, ran, release, blockerStarted, mgets: () => mgets };
}

describe("revoking a message the worker already holds", () => {
  it("run(): a held message revoked while it waits for a slot is REVOKED at start and never runs", async () => {
    const { app, clock, blocker, note, ran, release, blockerStarted, mgets } = heldApp();
    await blocker.delay();
    const b = await note.delay("b");
    const c = await note.delay("c");
    const stop = new AbortController();
    const settled: string[] = [];
    let allSettled!: () => void;
    const done = new Promise<void>((r) => (allSettled = r));
    const onEvent = (e: { type: string; uuid: string | null }): void => {
      if (e.type === "task-succeeded" || e.type === "task-revoked") settled.push(e.uuid!);
      if (settled.length === 3) allSettled();
    };
    const running = app.worker({ concurrency: 1, prefetch: 10, onEvent }).run({ signal: stop.signal });
    await blockerStarted; // b and c were claimed with it and wait in the worker
    await app.revoke([b.id]);
    const readsBefore = mgets(); // app.revoke reads the records it replaces
    clock.advance(REVOKE_RECHECK_MS);
    release();
    await done;
    stop.abort();
    await running;
    expect(ran).toEqual(["block", "c"]);
    expect(await b.state).toBe(REVOKED);
    expect(await c.state).toBe(SUCCESS);
    // One read for both held messages (b and c), not one per message.
    expect(mgets() - readsBefore).toBe(1);
  });

  it("a message started soon after its claim costs no read", async () => {
    const { app, note, release, mgets } = heldApp();
    release();
    for (let i = 0; i < 20; i++) await note.delay(String(i));
    const report = await app.worker({ concurrency: 4, prefetch: 20 }).drain();
    expect(report.succeeded).toBe(20);
    expect(mgets()).toBe(0);
  });
});
