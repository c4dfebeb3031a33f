/**
 * One delivery attempt as QStash makes it: the raw body to the destination with the forwarded
 * headers, `Upstash-Signature` (fresh JWT per attempt), `Upstash-Message-Id`, `Upstash-Retried`,
 * `Upstash-Schedule-Id`; and the JSON body (failure) callbacks receive.
 * @module
 */
import { bodyHash, signJwt } from "./sign.ts";
import { DEV_CREDENTIALS, type Message, type QStashDevOptions } from "./types.ts";

const b64 = (bytes: Uint8Array): string => btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(""));

/** POST (or `Upstash-Method`) the message to its URL, signed, within its timeout. */
export async function deliver(msg: Message, opts: QStashDevOptions): Promise<Response> {
  const iat = Math.floor((opts.signingNow ?? Date.now)() / 1000);
  const key = opts.currentSigningKey ?? DEV_CREDENTIALS.currentSigningKey;
  const signature = await signJwt(key, { sub: msg.url, body: await bodyHash(msg.body), iat });
  const headers = new Headers();
  for (const [k, vs] of Object.entries(msg.header)) for (const v of vs) headers.append(k, v);
  headers.set("User-Agent", "Upstash-QStash");
  headers.set("Upstash-Signature", signature);
  headers.set("Upstash-Message-Id", msg.messageId);
  headers.set("Upstash-Retried", String(msg.retried));
  headers.set("Upstash-Caller-Ip", "127.0.0.1");
  if (msg.scheduleId) headers.set("Upstash-Schedule-Id", msg.scheduleId);
  const hasBody = msg.method !== "GET" && msg.method !== "HEAD";
  return await (opts.fetch ?? fetch)(msg.url, {
    method: msg.method, headers, body: hasBody ? msg.body as Uint8Array<ArrayBuffer> : undefined,
    signal: AbortSignal.timeout(msg.timeoutMs), redirect: "manual",
  });
}

/** What `Upstash-Callback` / `Upstash-Failure-Callback` URLs receive (bodies base64). */
export function callbackBody(src: Message, status: number, header: Record<string, string[]>, body: string, dlqId?: string): Record<string, unknown> {
  return {
    status, header, body: b64(new TextEncoder().encode(body)), retried: src.retried, maxRetries: src.maxRetries,
    sourceMessageId: src.messageId, url: src.url, method: src.method, sourceHeader: src.header, sourceBody: b64(src.body),
    notBefore: src.notBefore, createdAt: src.createdAt, scheduleId: src.scheduleId ?? "", callerIP: "127.0.0.1",
    ...(dlqId ? { dlqId } : {}),
  };
}
