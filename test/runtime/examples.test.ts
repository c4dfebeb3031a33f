// The README steps of examples/: each example really runs (Node via tsx, Bun, Deno, and the
// Cloudflare one in workerd through wrangler) against real Redis behind the local Upstash
// endpoint: enqueue over HTTP with the bearer token, then read the result over HTTP.
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startUpstash, type UpstashEnv } from "../support/upstash.ts";

process.env.WRANGLER_SEND_METRICS = "false";
process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";

const auth = { authorization: "Bearer secret" };
let upstash: UpstashEnv | undefined;
const children: ChildProcess[] = [];

beforeAll(async () => {
  upstash = await startUpstash("examples");
}, 30_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGTERM");
  await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once("exit", r)) : null)));
  await upstash?.close();
}, 30_000);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    }).on("error", reject);
  });
}

/** Steps 3–4: enqueue, then poll the result route until it is final. */
async function roundTrip(base: string): Promise<unknown> {
  const res = await fetch(`${base}/tasks/tasks.add`, { method: "POST", headers: auth, body: JSON.stringify({ args: [2, 3] }) });
  expect(res.status).toBe(202);
  const { id } = (await res.json()) as { id: string };
  const end = Date.now() + 60_000;
  for (;;) {
    const body = (await (await fetch(`${base}/tasks/${id}`, { headers: auth })).json()) as { state: string };
    if (body.state === "SUCCESS" || body.state === "FAILURE") return body;
    if (Date.now() > end) throw new Error(`still ${body.state}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Step 2: start the example with the endpoint's credentials; resolves with its URL once it listens. */
async function start(cmd: string, args: string[]): Promise<string> {
  const port = await freePort();
  const child = spawn(cmd, args, {
    env: {
      ...process.env, UPSTASH_REDIS_REST_URL: upstash!.server.url, UPSTASH_REDIS_REST_TOKEN: upstash!.server.token,
      CELERIAC_REDIS_PREFIX: upstash!.prefix("ex"), API_TOKEN: "secret", PORT: String(port),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  return await new Promise<string>((resolve, reject) => {
    const onData = (d: Buffer) => {
      output += d.toString();
      const m = /listening on (\S+)/.exec(output);
      if (m) resolve(m[1]!);
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
    child.once("exit", (code) => reject(new Error(`${cmd} exited with ${code} before listening:\n${output}`)));
  });
}

const bin = (name: string) => fileURLToPath(new URL(`../../node_modules/.bin/${name}`, import.meta.url));

describe("examples/ README steps", () => {
  it("examples/node (tsx): enqueue → worker loop → result", async () => {
    const url = await start(bin("tsx"), ["examples/node/main.ts"]);
    expect(await roundTrip(url)).toMatchObject({ state: "SUCCESS", result: 5 });
  }, 90_000);

  it("examples/bun: enqueue → worker loop → result", async () => {
    const url = await start(bin("bun"), ["examples/bun/main.ts"]);
    expect(await roundTrip(url)).toMatchObject({ state: "SUCCESS", result: 5 });
  }, 90_000);

  it("examples/deno (--unstable-cron): enqueue → worker loop → result", async () => {
    const url = await start(bin("deno"), ["run", "-A", "--unstable-cron", "examples/deno/main.ts"]);
    expect(await roundTrip(url)).toMatchObject({ state: "SUCCESS", result: 5 });
  }, 90_000);

  it("examples/hono-cloudflare in workerd: Hono → Cloudflare Queues → consumer → Upstash result; /signup", async () => {
    const { unstable_startWorker } = await import("wrangler");
    const worker = await unstable_startWorker({
      config: fileURLToPath(new URL("../../examples/hono-cloudflare/wrangler.toml", import.meta.url)),
      sendMetrics: false,
      bindings: {
        UPSTASH_REDIS_REST_URL: { type: "plain_text", value: upstash!.server.url },
        UPSTASH_REDIS_REST_TOKEN: { type: "plain_text", value: upstash!.server.token },
        CELERIAC_REDIS_PREFIX: { type: "plain_text", value: upstash!.prefix("shop") },
        API_TOKEN: { type: "plain_text", value: "secret" },
      },
      dev: { remote: false, inspector: false, server: { hostname: "127.0.0.1", port: 0 }, persist: false, watch: false, logLevel: "error" },
    });
    try {
      await worker.ready;
      const url = (await worker.url).origin;
      expect(await roundTrip(url)).toMatchObject({ state: "SUCCESS", result: 5 });
      const signup = await fetch(`${url}/signup`, { method: "POST" });
      expect(signup.status).toBe(202);
    } finally {
      await worker.dispose();
    }
  }, 120_000);
});
