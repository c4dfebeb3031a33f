/**
 * One delivery attempt as QStash makes it: the raw body to the destination with the forwarded
 * headers, `Upstash-Signature` (fresh JWT per attempt), `Upstash-Message-Id`, `Upstash-Retried`,
 * `Upstash-Schedule-Id`; what follows its answer (done, retry after QStash's backoff or
 * `Retry-After`, or the DLQ); and the JSON body (failure) callbacks receive.
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

/** QStash's default backoff before retry `n` (1-based), in ms: `min(86400, e^(2.5n))` s. */
export const backoffMs = (n: number): number => Math.min(86_400, Math.exp(2.5 * n)) * 1000;

/** The answer of one attempt (status 0 and the error as body when there was none). */
export interface Answer {
  status: number;
  header: Record<string, string[]>;
  body: string;
}

/** Deliver once and read the answer (its body capped at 100 000 characters); never rejects. */
export async function attemptOnce(msg: Message, opts: QStashDevOptions): Promise<Answer> {
  try {
    const res = await deliver(msg, opts);
    const header: Record<string, string[]> = {};
    res.headers.forEach((v, k) => void (header[k] = [v]));
    return { status: res.status, header, body: (await res.text()).slice(0, 100_000) };
  } catch (err) {
    return { status: 0, header: {}, body: `delivery failed: ${(err as Error)?.message ?? err}` };
  }
}

/**
 * What follows an answer: `"done"` (2xx), `"dead"` (retries used up, or `489` with
 * `Upstash-NonRetryable-Error: true`), else the wait in ms before the next try (`Retry-After`,
 * capped at a day, or the backoff of retry `msg.retried + 1`, times `retryDelayScale`).
 */
export function nextStep(msg: Message, a: Answer, opts: QStashDevOptions): "done" | "dead" | number {
  if (a.status >= 200 && a.status < 300) return "done";
  if (a.status === 489 && a.header["upstash-nonretryable-error"]?.[0] === "true" || msg.retried >= msg.maxRetries) return "dead";
  const after = Number(a.header["retry-after"]?.[0]);
  const wait = Number.isFinite(after) && after > 0 ? Math.min(after, 86_400) * 1000 : backoffMs(msg.retried + 1);
  return wait * (opts.retryDelayScale ?? 1);
}

/** The signed message a (failure) callback `url` gets about `src`'s last answer. */
export function callbackMessage(url: string, src: Message, a: Answer, ids: { messageId: string; dlqId?: string }, now: number, opts: QStashDevOptions): Message {
  const payload = callbackBody(src, a.status, a.header, a.body, ids.dlqId);
  return {
    messageId: ids.messageId, url, method: "POST", header: { "Content-Type": ["application/json"] },
    body: new TextEncoder().encode(JSON.stringify(payload)), maxRetries: opts.defaultRetries ?? 3, retried: 0,
    notBefore: now, createdAt: now, timeoutMs: opts.deliveryTimeoutMs ?? 30_000,
  };
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
