/**
 * The embedded in-memory broker and result backend (the default of `new Celeriac(name)`).
 * @module
 */
export { MemoryBroker, memoryBroker, type MemoryBrokerOptions } from "./broker.ts";
export { MemoryBackend, memoryBackend, type MemoryBackendOptions } from "./backend.ts";
export { MemoryEvents, memoryEvents } from "./events.ts";
