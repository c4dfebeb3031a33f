import { afterAll, beforeAll, it } from "vitest";
import { startUpstash, upstashFixture, type UpstashEnv } from "../support/upstash.ts";
import { allCases } from "./cases/index.ts";

// The whole suite on a real Redis, through the Upstash-compatible dev endpoint and the official client.
let env: UpstashEnv | undefined;

beforeAll(async () => {
  env = await startUpstash("conformance-upstash");
});

afterAll(async () => {
  await env?.close();
});

for (const c of allCases(upstashFixture(() => env!))) it(`upstash-redis: ${c.name}`, c.fn);
