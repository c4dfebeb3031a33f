/**
 * `defineScript`: a Lua script as a typed module. Keys are passed by name and turned into
 * `KEYS[]` in declared order (variable-length keys follow); execution goes through
 * `redis.createScript` of `@upstash/redis`, which sends EVALSHA and falls back to EVAL on
 * NOSCRIPT. Scripts answer with a JSON text (so the client's automatic JSON deserialization
 * can neither reshape payloads nor turn a tag like "123" into a number) or a negative code.
 * @module
 */
import type { Redis } from "@upstash/redis";
import { fromScriptCode, guard, type CallSite } from "../errors.ts";

/** Arguments the client can send (numbers travel as JSON numbers and Redis sees their text). */
export type ScriptArg = string | number;

/** A script definition. */
export interface ScriptDefinition<K extends string> {
  /** Name used in errors. */
  name: string;
  /** Named keys, in `KEYS[]` order. */
  keys: readonly K[];
  /** The Lua source. */
  lua: string;
}

/** One call: named keys, then any variable-length keys, then `ARGV`. */
export interface ScriptCall<K extends string> {
  keys: Record<K, string>;
  more?: string[];
  args: ScriptArg[];
}

/** A defined script; `run` executes it on a client. */
export interface DefinedScript<K extends string> extends ScriptDefinition<K> {
  /**
   * Run on `redis`; resolves to the decoded JSON reply (or null), rejects with `AdapterError`
   * (also when `site.timeoutMs` passes first).
   */
  run(redis: Redis, call: ScriptCall<K>, site?: CallSite): Promise<unknown>;
}

type Handle = ReturnType<Redis["createScript"]>;

/** Define a script. */
export function defineScript<K extends string>(def: ScriptDefinition<K>): DefinedScript<K> {
  // One handle per client, so the SHA-1 is computed once and EVALSHA is tried first every time.
  const handles = new WeakMap<Redis, Handle>();
  const handle = (redis: Redis): Handle => {
    let h = handles.get(redis);
    if (!h) handles.set(redis, h = redis.createScript(def.lua));
    return h;
  };
  return {
    ...def,
    run: (redis, call, site) =>
      guard(def.name, async () => {
        const keys = [...def.keys.map((k) => call.keys[k]), ...(call.more ?? [])];
        return decodeReply(def.name, await handle(redis).exec(keys, call.args.map(String)));
      }, site),
  };
}

/** Decode a script reply: negative integers are error codes, strings are JSON texts. */
export function decodeReply(script: string, reply: unknown): unknown {
  if (typeof reply === "number" && reply < 0) throw fromScriptCode(reply, { script });
  // With automatic deserialization (the client's default) the JSON text arrives parsed already.
  if (typeof reply === "string") return JSON.parse(reply);
  return reply ?? null;
}
