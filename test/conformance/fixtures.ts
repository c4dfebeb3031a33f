import { memoryBackend, memoryBroker } from "../../adapters/memory/mod.ts";
import type { Fixture } from "./harness.ts";

export function memoryFixture(): Fixture {
  return { name: "memory", broker: (opts) => memoryBroker(opts), backend: () => memoryBackend() };
}
