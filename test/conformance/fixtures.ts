import { memoryBackend, memoryBroker } from "../../adapters/memory/mod.ts";
import { decodeIncoming } from "../../src/decode.ts";
import type { Fixture } from "./harness.ts";

// The interop cases push Python Celery's compressed and protocol 1 messages through the broker:
// the memory broker decodes them only when asked, as every adapter Python producers reach does.
export function memoryFixture(): Fixture {
  return { name: "memory", broker: (opts) => memoryBroker({ ...opts, decode: decodeIncoming }), backend: () => memoryBackend() };
}
