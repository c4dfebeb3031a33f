/**
 * Request parsing, command policy and RESP2 → JSON mapping for the Upstash-compatible dev server.
 * Kept free of I/O so the rules can be read (and unit-tested) in one place.
 */
import { Buffer } from "node:buffer";

/** A malformed request; the server answers HTTP 400 with this message. */
export class BadRequestError extends Error {
  override name = "BadRequestError";
}

/** A request over the endpoint's size limits; the server answers HTTP 413 with this message. */
export class TooLargeError extends BadRequestError {
  override name = "TooLargeError";
}

/** Turns one JSON command (`["SET","k",1]`) into RESP arguments, all strings. */
export function parseCommand(value: unknown, where = "command"): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new BadRequestError(`ERR ${where} must be a non-empty JSON array of arguments`);
  }
  return value.map((arg: unknown, i) => {
    // The SDK sends numbers and booleans as JSON values; Redis only knows bulk strings.
    if (typeof arg === "string") return arg;
    if (typeof arg === "number" || typeof arg === "boolean") return String(arg);
    throw new BadRequestError(`ERR ${where}: argument ${i} is ${arg === null ? "null" : typeof arg}, expected a string, number or boolean`);
  });
}

/** Parses a request body: one command, or (for /pipeline and /multi-exec) a non-empty list of them. */
export function parseBody(text: string, batch: boolean): string[][] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new BadRequestError("ERR request body is not valid JSON");
  }
  if (!batch) return [parseCommand(body)];
  if (!Array.isArray(body) || body.length === 0) {
    throw new BadRequestError("ERR request body must be a non-empty JSON array of commands");
  }
  return body.map((cmd: unknown, i) => parseCommand(cmd, `command ${i}`));
}

// These would park a pooled connection (blocking), or change its state for every later request
// (transactions, pub/sub, DB selection, protocol/auth switches), so they cannot be proxied per request.
const REFUSED: ReadonlyMap<string, string> = new Map([
  ...["BLPOP", "BRPOP", "BRPOPLPUSH", "BLMOVE", "BZPOPMIN", "BZPOPMAX", "BLMPOP", "BZMPOP", "WAIT", "WAITAOF"].map(
    (c) => [c, "blocking commands are not supported over REST"] as const,
  ),
  ...["SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE", "MONITOR"].map(
    (c) => [c, "pub/sub and MONITOR need a streaming connection"] as const,
  ),
  ...["WATCH", "UNWATCH", "MULTI", "EXEC", "DISCARD"].map(
    (c) => [c, "use the /multi-exec endpoint for transactions"] as const,
  ),
  ...["SELECT", "MOVE", "SWAPDB", "MIGRATE"].map(
    (c) => [c, "this endpoint serves one database, chosen by the Redis URL of the dev server (redis://host:port/<db>)"] as const,
  ),
  // Server administration: Upstash does not offer it over REST, and through a proxy it would reach
  // every database of the server (and other users of it).
  ...["ACL", "BGREWRITEAOF", "BGSAVE", "SAVE", "CONFIG", "DEBUG", "FAILOVER", "MODULE", "REPLICAOF", "SLAVEOF", "SHUTDOWN",
    "CLUSTER", "LATENCY", "SLOWLOG", "MEMORY", "LASTSAVE", "READONLY", "READWRITE", "ASKING"].map(
    (c) => [c, "server administration is not available over REST"] as const,
  ),
  ...["AUTH", "HELLO", "QUIT", "RESET", "CLIENT", "SYNC", "PSYNC", "REPLCONF"].map(
    (c) => [c, "connection commands are not supported over REST"] as const,
  ),
]);

/** Returns the error text for a command the proxy must not forward, or undefined if it may run. */
export function refusalFor(cmd: readonly string[]): string | undefined {
  const name = (cmd[0] ?? "").toUpperCase();
  const sub = (cmd[1] ?? "").toUpperCase();
  let reason = REFUSED.get(name);
  if (name === "COPY" && cmd.slice(3).some((a) => a.toUpperCase() === "DB")) reason = REFUSED.get("MOVE");
  if (name === "FUNCTION" && ["FLUSH", "DELETE", "LOAD", "RESTORE"].includes(sub)) reason = "functions are shared by every database of the server";
  if (reason === undefined && (name === "XREAD" || name === "XREADGROUP")) {
    // Only options before STREAMS count: a stream key may legitimately be called "block".
    const streams = cmd.findIndex((a) => a.toUpperCase() === "STREAMS");
    const options = cmd.slice(1, streams === -1 ? undefined : streams);
    if (options.some((a) => a.toUpperCase() === "BLOCK")) reason = "blocking commands are not supported over REST";
  }
  return reason === undefined ? undefined : `ERR Command is not available: '${name}': ${reason}`;
}

/**
 * The command as the endpoint sends it: FLUSHALL empties only this endpoint's database (as on
 * Upstash, where each database is a server of its own), so it is sent as FLUSHDB.
 */
export function scoped(cmd: string[]): string[] {
  return (cmd[0] ?? "").toUpperCase() === "FLUSHALL" ? ["FLUSHDB", ...cmd.slice(1)] : cmd;
}

const SCRIPT_CALLS = new Set(["EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL", "FCALL_RO"]);

/** True for a command that runs a script or function (it may loop until killed). */
export function runsScript(cmd: readonly string[]): boolean {
  return SCRIPT_CALLS.has((cmd[0] ?? "").toUpperCase());
}

/** True for SCRIPT KILL / FUNCTION KILL: they must not queue behind the script they kill. */
export function isKill(cmd: readonly string[]): boolean {
  const name = (cmd[0] ?? "").toUpperCase();
  return (name === "SCRIPT" || name === "FUNCTION") && (cmd[1] ?? "").toUpperCase() === "KILL";
}

/** True for an error Redis itself replied with (as opposed to a connection failure). */
export function isReplyError(err: unknown): err is Error {
  return err instanceof Error && err.name === "ReplyError";
}

/**
 * Maps a raw RESP2 reply (Buffers, integers, nulls, nested arrays) to the JSON Upstash returns.
 * With `base64` every string becomes base64 of its raw bytes, "OK" included: the SDK keeps a bare
 * top-level "OK" but would base64-decode an unencoded "OK" inside an array into garbage.
 */
export function toJson(reply: unknown, base64: boolean): unknown {
  if (reply === null || reply === undefined) return null;
  if (typeof reply === "number") return reply;
  if (Array.isArray(reply)) return reply.map((item) => toJson(item, base64));
  // An error nested inside an array (e.g. a Lua table) has no JSON slot of its own; send its text.
  const bytes = Buffer.isBuffer(reply) ? reply : Buffer.from(reply instanceof Error ? reply.message : String(reply));
  return base64 ? bytes.toString("base64") : bytes.toString("utf8");
}
