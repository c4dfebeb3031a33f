import { Redis } from "@upstash/redis";
import { Redis as IORedis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevServer, type DevServer } from "../../workers/node/dev-server.ts";
import { spawnRedis, type TestRedis } from "../support/redis.ts";

// The endpoint as a proxy an attacker (or a careless script) talks to. Everything here runs on a
// redis-server of this test alone: never send these commands to a shared Redis.
let own: TestRedis;
let server: DevServer;
let db0: IORedis;
let db3: IORedis;

beforeAll(async () => {
  own = await spawnRedis(["--busy-reply-threshold", "100"]);
  server = await startDevServer({ port: 0, redisUrl: `${own.url}/3`, maxBodyBytes: 64 * 1024, maxCommands: 100, scriptTimeoutMs: 300 });
  db0 = new IORedis(`${own.url}/0`);
  db3 = new IORedis(`${own.url}/3`);
});

afterAll(async () => {
  db0?.disconnect();
  db3?.disconnect();
  await server?.close();
  await own?.stop();
});

const post = (path: string, body: unknown, token = server.token): Promise<Response> =>
  fetch(server.url + path, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: typeof body === "string" ? body : JSON.stringify(body) });
const client = (): Redis => new Redis({ url: server.url, token: server.token, enableTelemetry: false, retry: false });

describe("dev server: scoped to its database", () => {
  it("FLUSHALL and FLUSHDB empty only the database of --redis-url", async () => {
    await db0.set("other-db-key", "kept");
    for (const flush of [() => client().flushall(), () => client().flushdb()]) {
      await db3.set("mine", "x");
      expect(await flush()).toBe("OK");
      expect(await db3.dbsize()).toBe(0);
      expect(await db0.get("other-db-key")).toBe("kept");
    }
  });

  it("refuses commands that reach other databases or administer the server, with Upstash's error shape", async () => {
    await db3.set("k", "v");
    const refused = [
      ["SWAPDB", "0", "3"], ["MOVE", "k", "0"], ["COPY", "k", "k2", "DB", "0"], ["SELECT", "0"], ["SHUTDOWN", "NOSAVE"],
      ["ACL", "SETUSER", "mallory", "on", ">pw", "+@all"], ["CONFIG", "SET", "maxmemory", "1"], ["REPLICAOF", "127.0.0.1", "1"],
      ["SLAVEOF", "127.0.0.1", "1"], ["DEBUG", "SLEEP", "0"], ["FUNCTION", "FLUSH"], ["BGSAVE"], ["SAVE"], ["MODULE", "LIST"],
    ];
    for (const cmd of refused) {
      const res = await post("/", cmd);
      expect(res.status, cmd.join(" ")).toBe(400);
      expect(await res.json(), cmd.join(" ")).toEqual({ error: expect.stringMatching(/^ERR Command is not available: '/) });
    }
    const piped = (await (await post("/pipeline", [["GET", "k"], ["CONFIG", "SET", "maxmemory", "1"]])).json()) as { error?: string }[];
    expect(piped[0]).toEqual({ result: "v" });
    expect(piped[1]!.error).toMatch(/not available/);
    expect((await post("/multi-exec", [["GET", "k"], ["SWAPDB", "0", "3"]])).status).toBe(400);
    await expect(client().eval("return 1", [], [])).resolves.toBe(1);
    expect(await db0.config("GET", "maxmemory")).toEqual(["maxmemory", "0"]);
    expect(await db0.acl("USERS")).toEqual(["default"]);
    expect(await db3.get("k")).toBe("v");
    expect(await db0.exists("k", "k2")).toBe(0);
  });
});

describe("dev server: bounded requests", () => {
  it("answers 413 to a body over maxBodyBytes and to a pipeline over maxCommands, and keeps serving", async () => {
    const big = await post("/", ["SET", "big", "x".repeat(200 * 1024)]);
    expect(big.status).toBe(413);
    expect(await big.json()).toEqual({ error: expect.stringMatching(/max request size exceeded/) });
    const many = await post("/pipeline", Array.from({ length: 101 }, (_, i) => ["SET", `n${i}`, "1"]));
    expect(many.status).toBe(413);
    expect(await many.json()).toEqual({ error: expect.stringMatching(/too many commands in one request: 101 > 100/) });
    expect(await db3.exists("big", "n0")).toBe(0);
    const p = client().pipeline();
    for (let i = 0; i < 100; i++) p.set(`n${i}`, 1);
    expect((await p.exec()).length).toBe(100);
    await expect(client().set("big", "x".repeat(200 * 1024))).rejects.toThrow(/max request size exceeded/);
    expect(await client().get("n99")).toBe(1);
  });
});

describe("dev server: scripts that never end", () => {
  it("an infinite EVAL is killed after scriptTimeoutMs on a side connection, and the endpoint answers again", async () => {
    const res = await post("/", ["EVAL", "while true do end", "0"]);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/killed/i);
    expect(await client().ping()).toBe("PONG");
  });

  it("a client's own SCRIPT KILL does not queue behind the script it kills", async () => {
    const slow = await startDevServer({ port: 0, redisUrl: `${own.url}/3`, scriptTimeoutMs: 600_000 });
    try {
      const looping = fetch(`${slow.url}/`, {
        method: "POST", headers: { authorization: `Bearer ${slow.token}` }, body: JSON.stringify(["EVAL", "while true do end", "0"]),
      });
      const kill = async (): Promise<unknown> => (await fetch(`${slow.url}/`, {
        method: "POST", headers: { authorization: `Bearer ${slow.token}` }, body: JSON.stringify(["SCRIPT", "KILL"]),
      })).json();
      // NOTBUSY until the script runs; then the kill gets through.
      await expect.poll(kill, { timeout: 15_000, interval: 50 }).toEqual({ result: "OK" });
      const killer = new Redis({ url: slow.url, token: slow.token, enableTelemetry: false, retry: false });
      const res = await looping;
      expect(((await res.json()) as { error: string }).error).toMatch(/killed/i);
      expect(await killer.ping()).toBe("PONG");
    } finally {
      await slow.close();
    }
  });
});
