import { Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevServer, type DevServer } from "../../workers/node/dev-server.ts";
import { ensureRedis, uniquePrefix, type TestRedis } from "../support/redis.ts";

// Upstash's pub/sub over SSE as the dev endpoint serves it, read with plain fetch and with the
// official client. Channels carry a unique prefix: pub/sub is shared by the whole Redis server.
let redis: TestRedis;
let server: DevServer;
const prefix = uniquePrefix("dev-subscribe");

beforeAll(async () => {
  redis = await ensureRedis();
  server = await startDevServer({ port: 0, redisUrl: redis.url, maxSubscriptions: 3 });
});

afterAll(async () => {
  await server?.close();
  await redis?.stop();
});

const client = (): Redis => new Redis({ url: server.url, token: server.token, enableTelemetry: false, retry: false });

/** Open a stream and read its `data:` lines as they come. */
async function open(path: string, token = server.token): Promise<{ res: Response; lines: string[]; next(n: number): Promise<string[]>; close(): void }> {
  const ctrl = new AbortController();
  const res = await fetch(server.url + path, { method: "POST", headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" }, signal: ctrl.signal });
  const lines: string[] = [];
  let notify = (): void => {};
  if (res.ok && res.body) {
    void (async () => {
      let buf = "";
      try {
        const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value;
          const parts = buf.split("\n");
          buf = parts.pop()!;
          for (const p of parts) if (p.startsWith("data: ")) lines.push(p.slice(6));
          notify();
        }
      } catch {
        // aborted
      }
    })();
  }
  const next = async (n: number): Promise<string[]> => {
    while (lines.length < n) await new Promise<void>((r) => (notify = r));
    return lines.slice(0, n);
  };
  return { res, lines, next, close: () => ctrl.abort() };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; !cond(); i++) {
    if (i > 500) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("dev server: /subscribe over SSE", () => {
  it("answers subscribe,<ch>,1 first, then one frame per message, with SSE headers", async () => {
    const ch = `${prefix}a,b`;
    const s = await open(`/subscribe/${encodeURIComponent(ch)}`);
    expect(s.res.status).toBe(200);
    expect(s.res.headers.get("content-type")).toBe("text/event-stream");
    expect(s.res.headers.get("cache-control")).toBe("no-cache");
    expect(await s.next(1)).toEqual([`subscribe,${ch},1`]);
    await client().publish(ch, "one");
    await client().publish(ch, '{"x":[1,2]}');
    expect(await s.next(3)).toEqual([`subscribe,${ch},1`, `message,${ch},one`, `message,${ch},{"x":[1,2]}`]);
    s.close();
    await until(() => server.subscriptions() === 0, "the stream's cleanup");
  });

  it("psubscribe frames carry the pattern and the channel; /publish/<ch>/<msg> publishes", async () => {
    const s = await open(`/psubscribe/${encodeURIComponent(`${prefix}p.*`)}`);
    expect(await s.next(1)).toEqual([`psubscribe,${prefix}p.*,1`]);
    const res = await fetch(`${server.url}/publish/${encodeURIComponent(`${prefix}p.x`)}/hi`, { method: "POST", headers: { authorization: `Bearer ${server.token}` } });
    expect(await res.json()).toEqual({ result: 1 });
    expect((await s.next(2))[1]).toBe(`pmessage,${prefix}p.*,${prefix}p.x,hi`);
    s.close();
    await until(() => server.subscriptions() === 0, "the stream's cleanup");
  });

  it("the official client's subscribe() receives messages through it", async () => {
    const ch = `${prefix}official`;
    const sub = client().subscribe<unknown>(ch);
    const got: unknown[] = [];
    const subscribed = new Promise<void>((r) => sub.on("subscribe", () => r()));
    sub.on("message", (m) => got.push(m.message));
    await subscribed;
    await client().publish(ch, JSON.stringify({ ok: true }));
    await until(() => got.length === 1, "the message");
    expect(got).toEqual([{ ok: true }]);
    await sub.unsubscribe();
    await until(() => server.subscriptions() === 0, "the stream's cleanup");
  });

  it("is closed by default: no token, a wrong token, a bad path, too many streams", async () => {
    const noToken = await fetch(`${server.url}/subscribe/${prefix}x`, { method: "POST" });
    expect(noToken.status).toBe(401);
    expect((await open(`/subscribe/${prefix}x`, "wrong")).res.status).toBe(401);
    expect((await open("/subscribe/%E0%A4%A")).res.status).toBe(400);
    const held = await Promise.all([1, 2, 3].map((i) => open(`/subscribe/${prefix}held${i}`)));
    await Promise.all(held.map((h) => h.next(1)));
    const over = await open(`/subscribe/${prefix}held4`);
    expect(over.res.status).toBe(429);
    expect(await over.res.json()).toEqual({ error: "ERR too many open subscriptions (limit 3)" });
    for (const h of held) h.close();
    await until(() => server.subscriptions() === 0, "the streams' cleanup");
    expect(server.subscriptions()).toBe(0);
  });

  it("without pubsub it answers 404, as an endpoint without SSE does", async () => {
    const plain = await startDevServer({ port: 0, redisUrl: redis.url, pubsub: false });
    try {
      const res = await fetch(`${plain.url}/subscribe/${prefix}x`, { method: "POST", headers: { authorization: `Bearer ${plain.token}` } });
      expect(res.status).toBe(404);
    } finally {
      await plain.close();
    }
  });
});
