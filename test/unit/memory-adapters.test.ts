import { describe, expect, it } from "vitest";
import { memoryBackend, memoryBroker } from "../../adapters/memory/mod.ts";

describe("memory adapters", () => {
  it("expired results are dropped even when nobody reads them again", async () => {
    let now = 0;
    const be = memoryBackend({ now: () => now });
    const meta = (id: string) => ({ status: "SUCCESS", result: 1, traceback: null, children: [], date_done: null, task_id: id });
    let peak = 0;
    for (let round = 0; round < 10; round++, now += 5000) {
      for (let i = 0; i < 2000; i++) {
        await be.set([{ meta: meta(`${round}-${i}`), ttlMs: 1000 }]);
        peak = Math.max(peak, be.size);
      }
    }
    // At most 2000 results are live at a time; without sweeping the map would hold 20 000.
    expect(peak).toBeLessThanOrEqual(2 * 2000 + 1024);
    expect(await be.get("9-1999")).toBeNull();
  });

  it("delayed messages come out when due, each once", async () => {
    let now = 0;
    const b = memoryBroker({ now: () => now });
    const at = (i: number): number => 1_000 + ((i * 7919) % 50_000);
    await b.publish(Array.from({ length: 50_000 }, (_, i) => ({ id: `d${i}`, queue: "q", priority: 0, payload: `p${i}`, notBefore: at(i) })));
    now = 1_002;
    const due = Array.from({ length: 50_000 }, (_, i) => i).filter((i) => at(i) <= now).map((i) => `p${i}`);
    const got = await b.claim(["q"], { max: 10, visibilityMs: 60_000 });
    expect(got.map((d) => d.payload).sort()).toEqual(due.sort());
    now = 60_000;
    expect((await b.claim(["q"], { max: 100_000, visibilityMs: 600_000 })).length).toBe(50_000 - due.length);
  });
});
