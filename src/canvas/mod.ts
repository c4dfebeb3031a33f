/**
 * Canvas: chain, group, chord, map, starmap and chunks over Celery's signature dicts.
 * @module
 */
export { chain, chord, chunks, group, xmap, xstarmap, Chain, Chord, Chunks, Group } from "./primitives.ts";
export { GroupResult } from "../group-result.ts";
export { chainDict, chordDict, chunksDict, groupDict, mapDict, starmapDict, type CanvasKind } from "./dicts.ts";
export { descend } from "./plan.ts";
