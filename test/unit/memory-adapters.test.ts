import { describe, expect, it } from "vitest";
import { buildMessage, Celeriac, decodeIncoming, encodeMessage, TaskError } from "../../mod.ts";
import { memoryBackend, memoryBroker } from "../../adapters/memory/mod.ts";
import { Timeline } from "../../adapters/memory/timeline.ts";

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

  it("delayed messages are promoted earliest first, ties in the order they were sent", async () => {
    let now = 0;
    const b = memoryBroker({ now: () => now });
    const due = [30, 10, 20, 10, 40, 20, 10];
    await b.publish(due.map((at, i) => ({ id: `d${i}`, queue: "q", priority: 0, payload: `${at}:${i}`, notBefore: at })));
    now = 35;
    const got = await b.claim(["q"], { max: 10, visibilityMs: 60_000 });
    expect(got.map((d) => d.payload)).toEqual(["10:1", "10:3", "10:6", "20:2", "20:5", "30:0"]);
    now = 40;
    expect((await b.claim(["q"], { max: 10, visibilityMs: 60_000 })).map((d) => d.payload)).toEqual(["40:4"]);
  });

  it("a timeline hands out due items in order whatever the insertion order", () => {
    const t = new Timeline<number>();
    const takeDue = (now: number): number[] => {
      const out: number[] = [];
      for (let i; (i = t.shift(now)) !== undefined;) out.push(i);
      return out;
    };
    const ats = Array.from({ length: 2000 }, (_, i) => (i * 7919) % 1009);
    ats.forEach((at, i) => t.add(at, i));
    const first = takeDue(500);
    expect(first.map((i) => ats[i])).toEqual(ats.filter((a) => a <= 500).sort((x, y) => x - y));
    expect(t.length).toBe(ats.filter((a) => a > 500).length);
    expect(takeDue(499)).toEqual([]);
    expect(takeDue(Infinity).length).toBe(ats.filter((a) => a > 500).length);
    expect(t.length).toBe(0);
  });

  it("get() on the memory backend waits for the store instead of polling", async () => {
    const app = new Celeriac("watch");
    const backend = app.backend as ReturnType<typeof memoryBackend>;
    let reads = 0;
    const get = backend.get.bind(backend);
    backend.get = (id) => (reads++, get(id));
    const add = app.task("t.add", (a: number, b: number) => a + b);
    const r = await add.delay(2, 3);
    const pending = r.get({ timeout: 5000 });
    // Several poll intervals pass with nothing stored: a watching get() reads once meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(reads).toBe(1);
    await app.worker().drain();
    expect(await pending).toBe(5);
    expect(reads).toBe(2);
  });

  it("decodes strict protocol v2 unless given decode: a zlib body is refused, then runs with decodeIncoming", async () => {
    const msg = buildMessage({ task: "t.add", args: [1, 2], queue: "celery" });
    const env = JSON.parse(encodeMessage(msg));
    const body = new TextEncoder().encode(JSON.stringify([[1, 2], {}, msg.embed]));
    const zlib = new Uint8Array(await new Response(new Blob([body]).stream().pipeThrough(new CompressionStream("deflate"))).arrayBuffer());
    env.body = btoa(String.fromCharCode(...zlib));
    env.headers.compression = "application/x-gzip";
    const out = { id: msg.headers.id, queue: "celery", priority: 0, payload: JSON.stringify(env) };
    const run = async (broker: ReturnType<typeof memoryBroker>) => {
      const app = new Celeriac("dec", { broker, backend: memoryBackend() });
      app.task("t.add", (a: number, b: number) => a + b);
      await broker.publish([out]);
      const report = await app.worker().drain();
      return { report, result: await app.AsyncResult(msg.headers.id).get({ timeout: 1000 }).catch((e: unknown) => e) };
    };
    const strict = await run(memoryBroker());
    expect(strict.report.deadLettered).toBe(1);
    expect(strict.result).toBeInstanceOf(TaskError);
    expect(strict.result).toMatchObject({ excType: "DecodeError", excMessage: ["unsupported compression application/x-gzip"] });
    const interop = await run(memoryBroker({ decode: decodeIncoming }));
    expect(interop.report.succeeded).toBe(1);
    expect(interop.result).toBe(3);
  });
});
