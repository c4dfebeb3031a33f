import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sseTarget, subscribe } from "../../adapters/upstash-redis/sse.ts";
import { startUpstash, type UpstashEnv } from "../support/upstash.ts";

// The adapter's SSE reader: no subscription waits without a deadline, and each one ends.
let env: UpstashEnv;
let mute: Server;
let muteUrl: string;

beforeAll(async () => {
  env = await startUpstash("upstash-sse");
  // Answers like an SSE endpoint, then never sends a frame.
  mute = createServer((_req, res) => void res.writeHead(200, { "content-type": "text/event-stream" }).flushHeaders());
  await new Promise<void>((r) => mute.listen(0, "127.0.0.1", r));
  muteUrl = `http://127.0.0.1:${(mute.address() as AddressInfo).port}`;
});

afterAll(async () => {
  mute?.closeAllConnections();
  await new Promise((r) => mute?.close(r));
  await env?.close();
});

const target = () => sseTarget(env.client())!;

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; !cond(); i++) {
    if (i > 500) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("upstash-redis: SSE subscriptions", () => {
  it("reads the URL and authorization header from the official client", () => {
    const t = sseTarget(new Redis({ url: "https://example.upstash.io/", token: "tok", enableTelemetry: false }));
    expect(t).toEqual({ url: "https://example.upstash.io", authorization: "Bearer tok" });
  });

  it("a stream that is never confirmed fails after timeoutMs and ends", async () => {
    const sub = subscribe({ url: muteUrl, authorization: "Bearer x" }, "subscribe", "ch", () => {}, { timeoutMs: 100, lifetimeMs: 60_000 });
    await expect(sub.ready).rejects.toThrow("subscribe not confirmed within 100 ms");
    await sub.closed;
  });

  it("a refused token fails with the HTTP status, and the stream ends", async () => {
    const sub = subscribe({ ...target(), authorization: "Bearer wrong" }, "subscribe", `${env.runPrefix}x`, () => {}, { timeoutMs: 5000, lifetimeMs: 60_000 });
    await expect(sub.ready).rejects.toThrow("subscribe answered HTTP 401");
    await sub.closed;
  });

  it("messages arrive with the header stripped; the lifetime ends a stream; an abort ends one, server side too", async () => {
    const ch = `${env.runPrefix}life`;
    const got: string[] = [];
    const short = subscribe(target(), "subscribe", ch, (d) => got.push(d), { timeoutMs: 5000, lifetimeMs: 1500 });
    await short.ready;
    await env.client().publish(ch, "a,b,c");
    await until(() => got.length === 1, "the message");
    expect(got).toEqual(["a,b,c"]);
    await short.closed; // the lifetime passed
    const ctrl = new AbortController();
    const long = subscribe(target(), "psubscribe", `${ch}*`, (d) => got.push(d), { timeoutMs: 5000, lifetimeMs: 60_000, signal: ctrl.signal });
    await long.ready;
    await env.client().publish(`${ch}.x`, "p");
    await until(() => got.length === 2, "the pattern message");
    expect(got[1]).toBe(`${ch}.x,p`);
    ctrl.abort();
    await long.closed;
    await until(() => env.server.subscriptions() === 0, "the endpoint to drop both streams");
  });
});
