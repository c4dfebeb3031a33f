/**
 * How the dev endpoint connects to Redis: connection options, raw replies, error texts.
 * @module
 */
import { Buffer } from "node:buffer";
import { Command, type RedisOptions } from "ioredis";

export const REDIS_OPTIONS: RedisOptions = {
  // Commands issued while Redis is down are failed at the next failed reconnect attempt (<= ~1 s)
  // instead of waiting forever; the offline queue stays on so requests made while still
  // connecting at startup just wait for the connection.
  maxRetriesPerRequest: 0,
  retryStrategy: (times) => Math.min(times * 100, 1000),
  connectTimeout: 2000,
  // Never replay a half-answered INCR after a reconnect: the HTTP caller got a 500 and decides.
  autoResendUnfulfilledCommands: false,
};

/** Replies exactly as Redis sent them: ioredis would otherwise turn HGETALL into an object. */
export class RawCommand extends Command {
  override transformReply(result: Buffer | Buffer[]): Buffer | Buffer[] {
    return result;
  }
}

/** Redis could not be reached: the whole request fails with HTTP 500. */
export class UnreachableError extends Error {}

/** The Redis URL without its password, for error messages. */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = "***";
    return url.toString();
  } catch {
    return "(invalid Redis URL)";
  }
}
