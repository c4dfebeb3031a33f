/**
 * The connection side of the TCP Redis adapter: clients made from a URL with deadlines on
 * every command, and the shared Lua scripts of adapters/upstash-redis/lua run over ioredis
 * (EVALSHA first, EVAL on NOSCRIPT), so both adapters execute the very same source.
 * @module
 */
import { Redis, type RedisOptions } from "ioredis";
import { ConfigError } from "../../src/errors.ts";
import type { ScriptCall, ScriptDefinition } from "../upstash-redis/lua/define.ts";
import { fromScriptCode, guard } from "./errors.ts";

/** A `redis://` / `rediss://` URL or an ioredis client the caller owns. */
export type RedisLike = string | Redis;

/** Connection options shared by the broker and the backend. */
export interface RedisConnectionOptions {
  /** Deadline of every command in ms, also while reconnecting (default 10 000) → retryable `AdapterError`. */
  timeoutMs?: number;
  /** Extra ioredis options for clients made from a URL. */
  client?: RedisOptions;
}

/** A client from a URL (owned: `close()` quits it) or the caller's (left open). */
export function connect(target: RedisLike, opts: RedisConnectionOptions = {}): { redis: Redis; owned: boolean } {
  if (typeof target !== "string") return { redis: target, owned: false };
  if (!/^rediss?:\/\//.test(target)) throw new ConfigError(`[redis] expected a redis:// or rediss:// URL, got ${JSON.stringify(target)}`);
  const redis = new Redis(target, {
    commandTimeout: opts.timeoutMs ?? 10_000,
    // A command cut by a disconnect fails (the caller retries) instead of being sent twice.
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: null,
    lazyConnect: false,
    ...opts.client,
  });
  redis.on("error", () => {}); // surfaced per command as AdapterError; reconnects on its own
  return { redis, owned: true };
}

/**
 * A second connection for blocking or subscribing commands: no per-command deadline.
 * `onReconnect` runs when it is ready again after a lost connection (not on the first connect).
 */
export function sidecar(redis: Redis, onReconnect?: () => void): Redis {
  const c = redis.duplicate({ commandTimeout: undefined, autoResendUnfulfilledCommands: false, maxRetriesPerRequest: null, enableOfflineQueue: true });
  c.on("error", () => {});
  let lost = false;
  c.on("close", () => (lost = true));
  c.on("ready", () => {
    if (lost && onReconnect) onReconnect();
    lost = false;
  });
  return c;
}

const shas = new Map<string, Promise<string>>();

async function sha1(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Run one of the shared scripts: decoded JSON reply (or null); negative codes become errors. */
export function runScript<K extends string>(redis: Redis, def: ScriptDefinition<K>, call: ScriptCall<K>): Promise<unknown> {
  return guard(def.name, async () => {
    const keys = [...def.keys.map((k) => call.keys[k]), ...(call.more ?? [])];
    const args = [keys.length, ...keys, ...call.args.map(String)];
    let sha = shas.get(def.lua);
    if (!sha) shas.set(def.lua, sha = sha1(def.lua));
    let reply: unknown;
    try {
      reply = await redis.call("EVALSHA", await sha, ...args);
    } catch (err) {
      if (!String((err as Error)?.message).startsWith("NOSCRIPT")) throw err;
      reply = await redis.call("EVAL", def.lua, ...args);
    }
    if (typeof reply === "number" && reply < 0) throw fromScriptCode(reply, def.name);
    return typeof reply === "string" ? JSON.parse(reply) : reply ?? null;
  });
}

/** `p`, or a rejection after `ms` (for commands on side connections, which have no command timeout). */
export function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => (t = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(t));
}
