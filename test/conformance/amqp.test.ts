import { afterAll, beforeAll, it } from "vitest";
import { amqpFixture, startAmqp, type AmqpEnv } from "../support/amqp.ts";
import { allCases } from "./cases/index.ts";
import type { Trait } from "./harness.ts";

// The suite on the real RabbitMQ (results in Redis), minus the cases that need what AMQP lacks.
let env: AmqpEnv | undefined;

beforeAll(async () => {
  env = await startAmqp("conformance-amqp");
});

afterAll(async () => {
  await env?.close();
});

const fixture = { ...amqpFixture(() => env!), lacks: ["visibilityTimeout", "revocation", "claimAll", "lowPriorityFirst", "expiresRevoked", "injectedClock"] as Trait[] };
for (const c of allCases(fixture)) it(`amqp: ${c.name}`, c.fn);

it("amqp: exactly the cases needing visibility timeouts, revocation, claim-all order, kombu priorities, expiry records or an injected clock are left out", () => {
  const all = allCases(amqpFixture(() => env!)).length;
  const kept = allCases(fixture).length;
  if (all - kept !== 17) throw new Error(`expected 17 cases left out, got ${all - kept}`);
});
