/**
 * Turn a publish request (destination, `Upstash-*` headers, body) into a message, as QStash
 * reads them: `Upstash-Forward-*` forwarded unprefixed, `Upstash-Method`, `-Delay`,
 * `-Not-Before` (unix seconds, wins over the delay), `-Retries`, `-Timeout`, `-Callback`,
 * `-Failure-Callback`, `-Deduplication-Id`, `-Content-Based-Deduplication`,
 * `-Flow-Control-Key`/`-Value`, `-Label`.
 * @module
 */
import { bodyHash } from "./sign.ts";
import type { Message } from "./types.ts";

/** A client error, answered 400 `{error}`. */
export class BadRequest extends Error {}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `"10s"`, `"5m"`, `"1d10h30m"`, or a bare number of seconds → ms. */
export function parseDuration(text: string, what: string): number {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t) * 1000;
  const parts = [...t.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  if (!parts.length || parts.map((p) => p[0]).join("") !== t) throw new BadRequest(`invalid ${what}: ${text}`);
  return parts.reduce((sum, p) => sum + Number(p[1]) * UNITS[p[2]!]!, 0);
}

function parseFlowControl(value: string): number | undefined {
  const m = /parallelism\s*=\s*(\d+)/.exec(value);
  return m ? Number(m[1]) : undefined;
}

/** What `toMessage` needs besides the request. */
export interface MessageDefaults {
  now: number;
  id: string;
  retries: number;
  timeoutMs: number;
  queueName?: string;
  scheduleId?: string;
}

/** Build a message; throws `BadRequest` on an invalid destination or header. */
export async function toMessage(destination: string, headers: Headers, body: Uint8Array, d: MessageDefaults): Promise<Message> {
  if (!/^https?:\/\/[^/]/.test(destination)) {
    throw new BadRequest(`invalid destination ${JSON.stringify(destination)}: give an http(s) URL (URL groups are not served locally)`);
  }
  const header: Record<string, string[]> = {};
  for (const [name, value] of headers) {
    if (name.startsWith("upstash-forward-")) header[canonical(name.slice(16))] = [value];
    else if (name === "content-type") header["Content-Type"] = [value];
  }
  const int = (name: string): number | undefined => {
    const v = headers.get(name);
    if (v == null) return undefined;
    if (!/^\d+$/.test(v.trim())) throw new BadRequest(`invalid ${name}: ${v}`);
    return Number(v);
  };
  const notBeforeS = int("upstash-not-before");
  const delay = headers.get("upstash-delay");
  const notBefore = notBeforeS != null ? notBeforeS * 1000 : delay ? d.now + parseDuration(delay, "upstash-delay") : d.now;
  const timeout = headers.get("upstash-timeout");
  const msg: Message = {
    messageId: d.id, url: destination, method: (headers.get("upstash-method") ?? "POST").toUpperCase(), header, body,
    maxRetries: int("upstash-retries") ?? d.retries, retried: 0, notBefore, createdAt: d.now,
    timeoutMs: timeout ? parseDuration(timeout, "upstash-timeout") : d.timeoutMs,
  };
  const opt = (key: keyof Message, name: string): void => {
    const v = headers.get(name);
    if (v) (msg as unknown as Record<string, unknown>)[key] = v;
  };
  opt("callback", "upstash-callback");
  opt("failureCallback", "upstash-failure-callback");
  opt("label", "upstash-label");
  opt("flowControlKey", "upstash-flow-control-key");
  if (d.queueName) msg.queueName = d.queueName;
  if (d.scheduleId) msg.scheduleId = d.scheduleId;
  if (msg.flowControlKey) msg.parallelism = parseFlowControl(headers.get("upstash-flow-control-value") ?? "");
  const dedup = headers.get("upstash-deduplication-id");
  if (dedup) msg.dedupKey = `id:${dedup}`;
  else if (headers.get("upstash-content-based-deduplication") === "true") {
    const fwd = JSON.stringify(Object.entries(header).sort());
    msg.dedupKey = `content:${await bodyHash(new TextEncoder().encode(`${destination}\n${fwd}\n${new TextDecoder().decode(body)}`))}`;
  }
  return msg;
}

/** `content-type` → `Content-Type`. */
export function canonical(name: string): string {
  return name.split("-").map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join("-");
}
