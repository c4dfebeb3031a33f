/**
 * Large LPUSH/ZADD calls in pieces. Both Redis clients (`@upstash/redis`, ioredis) take members
 * as call arguments, and some 50,000 in one call overflow the stack (ioredis then never settles
 * the call). Several commands still go in one request, or one MULTI, as one did.
 * @module
 */

/** Members per LPUSH/ZADD command. */
export const MEMBERS_PER_COMMAND = 1000;

/** `items` in pieces of `MEMBERS_PER_COMMAND` (none for an empty list). */
export function piecesOf<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += MEMBERS_PER_COMMAND) out.push(items.slice(i, i + MEMBERS_PER_COMMAND));
  return out;
}
