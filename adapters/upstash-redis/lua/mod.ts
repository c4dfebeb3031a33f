/**
 * The adapter's Lua scripts, one per atomic state transition.
 * @module
 */
export { chordJoin } from "./chord-join.ts";
export { claim } from "./claim.ts";
export { deadLetter } from "./dead-letter.ts";
export { defineScript, type DefinedScript, type ScriptCall, type ScriptDefinition } from "./define.ts";
export { redrive } from "./redrive.ts";
export { requeue } from "./requeue.ts";
export { settle } from "./settle.ts";
export { brokerStats, statsCall, statsOf } from "./stats.ts";
