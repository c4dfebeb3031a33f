import { afterAll, beforeAll, it } from "vitest";
import { redisTcpFixture, startRedisTcp, type RedisTcpEnv } from "../support/redis-tcp.ts";
import { allCases } from "./cases/index.ts";

// The whole suite on a real Redis over TCP with ioredis (the adapter's own client).
let env: RedisTcpEnv | undefined;

beforeAll(async () => {
  env = await startRedisTcp("conformance-redis");
});

afterAll(async () => {
  await env?.close();
});

for (const c of allCases(redisTcpFixture(() => env!))) it(`redis: ${c.name}`, c.fn);
