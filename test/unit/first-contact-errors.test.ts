// Error messages a new user meets first (issue #12): a get() that times out says what the last
// read showed, so "not ready" comes with the likely reason.
import { describe, expect, it } from "vitest";
import { Celeriac, ResultTimeoutError } from "../../mod.ts";
import { stateHint } from "../../src/result.ts";

describe("ResultTimeoutError", () => {
  it("names the state it last read: PENDING asks whether a worker consumes the queue", async () => {
    const app = new Celeriac("hint");
    const add = app.task("hint.add", (a: number, b: number) => a + b);
    const r = await add.delay(1, 2); // no worker runs: the result never arrives
    const err = await r.get({ timeout: 20 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResultTimeoutError);
    expect((err as Error).message).toMatch(/not ready after 20 ms \(state PENDING: no worker has started it; is a worker running and consuming its queue\?\)/);
  });

  it("STARTED and RETRY say what they mean", () => {
    const meta = (status: string) => ({ status, result: null, traceback: null, children: [], date_done: null, task_id: "x" }) as never;
    expect(stateHint(meta("STARTED"))).toBe("state STARTED: a worker is running it");
    expect(stateHint(meta("RETRY"))).toMatch(/^state RETRY: it failed and waits/);
    expect(stateHint(null)).toMatch(/^state PENDING/);
  });
});
