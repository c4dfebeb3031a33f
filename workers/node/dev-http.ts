/**
 * Request helpers of the dev endpoint: the token check and a capped body read.
 * @module
 */
import type { IncomingMessage } from "node:http";
import { createHash, timingSafeEqual } from "node:crypto";
import { Buffer } from "node:buffer";
import { TooLargeError } from "./resp.ts";

/** SHA-256 of a token (compared in constant time). */
export const sha256 = (s: string): Buffer => createHash("sha256").update(s).digest();

/** True when the request carries the token (`Authorization: Bearer`, or `?_token=` as Upstash allows). */
export function authorized(req: IncomingMessage, url: URL, tokenDigest: Buffer): boolean {
  const auth = req.headers.authorization ?? "";
  const given = /^bearer\s+/i.test(auth) ? auth.replace(/^bearer\s+/i, "") : url.searchParams.get("_token");
  return given !== null && timingSafeEqual(sha256(given), tokenDigest);
}

/** The body as text, refused (TooLargeError) as soon as it passes `max` bytes. */
export async function readBody(req: IncomingMessage, max: number): Promise<string> {
  const tooLarge = (): TooLargeError => new TooLargeError(`ERR max request size exceeded: the limit is ${max} bytes`);
  if (Number(req.headers["content-length"]) > max) throw tooLarge();
  return await new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= max) return void chunks.push(chunk);
      req.off("data", onData); // flowing on without a listener: the rest is dropped as it arrives
      chunks.length = 0;
      reject(tooLarge());
    };
    req.on("data", onData);
    req.once("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.once("error", reject);
  });
}

/** `/<kind>/<a>/<b>` → the decoded segments after the first; null when one is badly encoded. */
export function pathArgs(path: string): string[] | null {
  try {
    return path.split("/").slice(2).map(decodeURIComponent);
  } catch {
    return null;
  }
}
