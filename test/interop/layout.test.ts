import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setupInterop, type Interop } from "./harness.ts";

// Keys a Python producer writes besides the queue lists, written the same way by celeriac.
let w: Interop;

beforeAll(async () => void (w = await setupInterop("layout")), 60_000);
afterAll(() => w?.close(), 30_000);

describe("kombu's Redis layout", () => {
  it("celeriac writes _kombu.binding.<queue> with the member Python's producer writes", async () => {
    w.track(await w.py("send", "py.add", "[1, 2]", "{}", JSON.stringify({ queue: "from-python" })));
    w.track((await w.app.sendTask("py.add", [1, 2], { queue: "from-celeriac" })).id);
    await w.app.sendTask("py.add", [3, 4], { queue: "from-celeriac" }); // declared once per broker instance
    const members = async (q: string) => await w.raw.smembers(`${w.prefix}_kombu.binding.${q}`);
    expect(await members("from-python")).toEqual(["from-python\x06\x16\x06\x16from-python"]);
    expect(await members("from-celeriac")).toEqual(["from-celeriac\x06\x16\x06\x16from-celeriac"]);
  }, 60_000);
});
