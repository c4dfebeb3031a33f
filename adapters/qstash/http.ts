/**
 * The few QStash v2 REST calls celeriac makes, over plain `fetch` (no `@upstash/qstash` in the
 * bundle): `POST /v2/publish/<url>`, `/v2/enqueue/<queue>/<url>`, `/v2/batch`, `/v2/queues`,
 * `/v2/schedules/<url>`, with `Authorization: Bearer <token>` and the same `Upstash-*` headers
 * the official Client sends for the options we use. Also the deadline and error mapping shared
 * with a user-supplied official Client.
 * @module
 */
import { AdapterError, CeleriacError } from "../../src/errors.ts";
import { sleep } from "../../src/util/time.ts";

/** Adapter name used in errors and `Broker.name`. */
export const ADAPTER = "qstash";

/** QStash's public API. */
export const DEFAULT_BASE_URL = "https://qstash.upstash.io";

/** One message as the broker sends it (the subset of the official `PublishRequest` we use). */
export interface PublishRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
  deduplicationId: string;
  retries?: number;
  /** Unix seconds. */
  notBefore?: number;
  queueName?: string;
}

/** Headers of one message, as the official Client's `processHeaders` builds them for these options. */
export function publishHeaders(r: PublishRequest): Headers {
  const h = new Headers(r.headers);
  h.set("Upstash-Method", "POST");
  if (r.notBefore !== undefined) h.set("Upstash-Not-Before", r.notBefore.toFixed(0));
  h.set("Upstash-Deduplication-Id", r.deduplicationId);
  if (r.retries !== undefined) h.set("Upstash-Retries", r.retries.toFixed(0));
  return h;
}

/** An HTTP status carried by a failed QStash call. */
export class QStashHttpError extends Error {
  override name = "QStashHttpError";
  constructor(message: string, readonly status: number) {
    super(message);
  }
}

/** `call(path, init)`: one authorized POST to `<baseUrl>/<path>`, resolving to the response text; non-2xx throws `QStashHttpError`. */
export type QStashCall = (path: string, init: { headers?: HeadersInit; body?: string; signal?: AbortSignal }) => Promise<string>;

/** Network failures (not HTTP statuses) are tried again this many times, 50 ms then 150 ms apart. */
const NETWORK_RETRIES = 2;

/** A `QStashCall` bound to a token and base URL. */
export function qstashCall(token: string, baseUrl: string = DEFAULT_BASE_URL): QStashCall {
  const base = baseUrl.replace(/\/$/, "");
  return async (path, { headers, body, signal }) => {
    const h = new Headers(headers);
    h.set("Authorization", `Bearer ${token}`);
    let res: Response | undefined;
    for (let attempt = 0; !res; attempt++) {
      try {
        res = await fetch(`${base}/${path}`, { method: "POST", headers: h, body, signal });
      } catch (err) {
        if (signal?.aborted || attempt >= NETWORK_RETRIES) throw err;
        await sleep(50 * 3 ** attempt, signal);
      }
    }
    const text = await res.text().catch(() => "");
    if (!res.ok) throw new QStashHttpError(text || res.statusText, res.status);
    return text;
  };
}

/**
 * Run `fn` within `timeoutMs` (its signal aborts on expiry); any failure becomes an
 * `AdapterError` naming the operation and endpoint, retryable unless QStash answered 4xx (429 is).
 */
export async function guarded<T>(op: string, endpoint: string, timeoutMs: number, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ctl = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new AdapterError(ADAPTER, `${op} at ${endpoint} timed out after ${timeoutMs} ms`);
      ctl.abort(err);
      reject(err);
    }, timeoutMs);
  });
  try {
    return await Promise.race([fn(ctl.signal), deadline]);
  } catch (cause) {
    if (cause instanceof CeleriacError) throw cause;
    const status = (cause as { status?: number })?.status;
    const detail = String((cause as Error)?.message ?? cause).slice(0, 200);
    const retryable = status == null || status >= 500 || status === 429;
    throw new AdapterError(ADAPTER, `${op} at ${endpoint} failed${status ? ` (HTTP ${status})` : ""}: ${detail}`, { cause, retryable });
  } finally {
    clearTimeout(timer);
  }
}
