/**
 * `watch` for the Upstash backend: the `settle` script (and Celery's Redis backend) PUBLISHes
 * every stored record on `celery-task-meta-<id>`, so a waiting `get()` holds one SSE
 * subscription and takes the record from the message. One id: `SUBSCRIBE` its channel; several
 * (a group, a chain's parents): one `PSUBSCRIBE <prefix>celery-task-meta-*`, filtered here, since
 * a request holds one channel (one request per member would not be bounded). A stream that ends
 * before `stop()` (server gone, lifetime passed) is opened again and the waiter told to read
 * again; while it cannot be, the waiter is told so with growing pauses (it then polls).
 * @module
 */
import { AdapterError } from "../../src/errors.ts";
import type { RecordUpdate } from "../../src/ports.ts";
import type { ResultMeta } from "../../src/types.ts";
import { sleep } from "../../src/util/time.ts";
import { ADAPTER, toAdapterError, type CallSite } from "./errors.ts";
import type { ResultKeys } from "./keys.ts";
import { globEscape, subscribe, type SseTarget, type Subscription } from "./sse.ts";

/** Listen for records of `ids`; resolves once listening, to a function that stops. */
export async function watchRecords(
  target: SseTarget | null, keys: ResultKeys, site: CallSite, lifetimeMs: number,
  ids: string[], onChange: (update?: RecordUpdate) => void,
): Promise<() => Promise<void>> {
  if (!target) throw new AdapterError(ADAPTER, "watch: the client's URL and token cannot be read", { retryable: false });
  if (!ids.length) return async () => {};
  const single = ids.length === 1;
  const metaPrefix = keys.meta("");
  const channel = single ? keys.meta(ids[0]) : `${globEscape(metaPrefix)}*`;
  const wanted = new Set(ids);
  const onMessage = (data: string): void => {
    let id = ids[0];
    let payload = data;
    if (!single) {
      // `<prefix>celery-task-meta-<id>,<record>`: ids are uuids (a comma in one cannot be matched).
      if (!data.startsWith(metaPrefix)) return;
      const comma = data.indexOf(",", metaPrefix.length);
      id = data.slice(metaPrefix.length, comma);
      if (comma < 0 || !wanted.has(id)) return;
      payload = data.slice(comma + 1);
    }
    let meta: ResultMeta | null = null;
    try {
      meta = JSON.parse(payload) as ResultMeta;
    } catch {
      // not a record we can read: read it from the store
    }
    onChange(meta && typeof meta === "object" && typeof meta.status === "string" ? { taskId: id, meta } : undefined);
  };
  const stopped = new AbortController();
  const open = async (): Promise<Subscription> => {
    const sub = subscribe(target, single ? "subscribe" : "psubscribe", channel, onMessage, {
      timeoutMs: site.timeoutMs > 0 && site.timeoutMs < Infinity ? site.timeoutMs : 10_000, lifetimeMs, signal: stopped.signal,
    });
    await sub.ready;
    return sub;
  };
  const pause = (attempt: number): Promise<void> => sleep(Math.min(60_000, 1000 * 2 ** attempt), stopped.signal).catch(() => {});
  // A stream lost soon after it opened counts as a failed attempt: no tight reopen loop.
  const keep = (sub: Subscription, failures: number): void => {
    void sub.closed.then(async () => {
      let attempt = Date.now() - sub.openedAt < 5000 ? failures + 1 : 0;
      if (attempt && !stopped.signal.aborted) await pause(attempt - 1);
      for (; !stopped.signal.aborted; attempt++) {
        try {
          const next = await open();
          onChange(); // something may have been published while nobody listened
          return keep(next, attempt);
        } catch {
          if (stopped.signal.aborted) return;
          onChange();
          await pause(attempt);
        }
      }
    });
  };
  keep(await open().catch((err: unknown) => Promise.reject(toAdapterError("watch", err, site.endpoint))), 0);
  return async () => void stopped.abort();
}
