import { memoryBackend, memoryBroker } from "../../adapters/memory/mod.ts";
import type { Fixture } from "./harness.ts";

export function memoryFixture(): Fixture {
  return { name: "memory", broker: () => memoryBroker(), backend: () => memoryBackend() };
}
