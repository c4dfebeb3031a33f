import { afterAll, beforeAll, it } from "vitest";
import { pushCases } from "./push-cases.ts";
import { startPush, type PushEnv } from "./push-harness.ts";

// The push path on this runtime: local QStash → real HTTP → worker.fetch → Redis via the Upstash endpoint.
let env: PushEnv | undefined;

beforeAll(async () => {
  env = await startPush("conformance-push");
});

afterAll(async () => {
  await env?.close();
});

for (const c of pushCases(() => env!)) it(`qstash-push: ${c.name}`, c.fn);
