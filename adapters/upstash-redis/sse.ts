/**
 * Upstash's pub/sub over HTTP: `POST /subscribe/<channel>` (or `/psubscribe/<pattern>`) answers
 * a Server-Sent Events stream whose lines are `data: subscribe,<channel>,1` once listening, then
 * `data: message,<channel>,<payload>` (`pmessage,<pattern>,<channel>,<payload>`) per message.
 * One request holds one channel or pattern, as the official client does. The stream is read
 * with `fetch` and an `AbortSignal`, so it works wherever `fetch` streams (Workers, Deno, Bun,
 * Node); the token travels only in the `authorization` header.
 * @module
 */
import type { Redis } from "@upstash/redis";

/** Where subscriptions go: the client's base URL and its `authorization` header. */
export interface SseTarget {
  url: string;
  authorization: string;
}

/** The target of an `@upstash/redis` client, or null when it cannot be read from it. */
export function sseTarget(redis: Redis): SseTarget | null {
  const c = (redis as unknown as { client?: { baseUrl?: unknown; headers?: Record<string, unknown> } }).client;
  const auth = c?.headers?.authorization ?? c?.headers?.Authorization;
  if (typeof c?.baseUrl !== "string" || !/^https?:\/\//.test(c.baseUrl) || typeof auth !== "string") return null;
  return { url: c.baseUrl.replace(/\/+$/, ""), authorization: auth };
}

/** One open subscription. */
export interface Subscription {
  /** Resolves once the server confirmed it (`subscribe,…`); rejects when it could not be opened in time. */
  readonly ready: Promise<void>;
  /** Resolves when the stream is over, for any reason (closed, server gone, lifetime passed). */
  readonly closed: Promise<void>;
  /** Epoch ms (`Date.now`) when it was opened. */
  readonly openedAt: number;
  close(): void;
}

/** Options of `subscribe`. */
export interface SubscribeOptions {
  /** Deadline for the confirmation in ms. */
  timeoutMs: number;
  /** The stream is closed after this many ms (a silently dead connection cannot outlive it). */
  lifetimeMs: number;
  signal?: AbortSignal;
}

const MAX_LINE = 1 << 20;

/**
 * Open one subscription. `onMessage` gets the payload of a `message` (for a pattern:
 * `<channel>,<payload>`), the header the server puts in front of it already removed.
 */
export function subscribe(
  target: SseTarget, kind: "subscribe" | "psubscribe", channel: string, onMessage: (data: string) => void, opts: SubscribeOptions,
): Subscription {
  const ctrl = new AbortController();
  const stop = (): void => ctrl.abort();
  opts.signal?.addEventListener("abort", stop, { once: true });
  if (opts.signal?.aborted) stop();
  let confirm!: () => void;
  let refuse!: (err: unknown) => void;
  const ready = new Promise<void>((res, rej) => ((confirm = res), (refuse = rej)));
  ready.catch(() => {});
  const head = kind === "subscribe" ? `message,${channel},` : `pmessage,${channel},`;
  const confirmation = `${kind},${channel},`;
  const readyTimer = setTimeout(() => {
    refuse(new Error(`${kind} not confirmed within ${opts.timeoutMs} ms`));
    stop();
  }, opts.timeoutMs);
  const lifeTimer = setTimeout(stop, opts.lifetimeMs);

  const line = (text: string): void => {
    if (!text.startsWith("data:")) return; // comments (keep-alives), event names, ids
    const data = text.slice(text.startsWith("data: ") ? 6 : 5);
    if (data.startsWith(head)) onMessage(data.slice(head.length));
    else if (data.startsWith(confirmation)) {
      clearTimeout(readyTimer);
      confirm();
    }
  };
  // A network failure before any answer (a reused keep-alive socket the server just closed) is
  // tried again, as the client does for every command; an HTTP answer is final.
  const open = async (): Promise<Response> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fetch(`${target.url}/${kind}/${encodeURIComponent(channel)}`, {
          method: "POST",
          headers: { authorization: target.authorization, accept: "text/event-stream", "cache-control": "no-cache" },
          signal: ctrl.signal,
        });
      } catch (err) {
        if (ctrl.signal.aborted || attempt >= 2) throw err;
        await new Promise((r) => setTimeout(r, 50 * (attempt + 1)));
      }
    }
  };
  const read = async (): Promise<void> => {
    const res = await open();
    if (!res.ok || !res.body) {
      await res.body?.cancel().catch(() => {});
      throw new Error(`${kind} answered HTTP ${res.status}`);
    }
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buf += value;
        let nl: number;
        while ((nl = buf.indexOf("\n")) >= 0) {
          line(buf.slice(0, nl).replace(/\r$/, ""));
          buf = buf.slice(nl + 1);
        }
        if (buf.length > MAX_LINE) throw new Error("an event line passed 1 MiB");
      }
    } finally {
      reader.cancel().catch(() => {});
    }
  };
  const closed = read().then(
    () => refuse(new Error(`${kind} stream ended before it was confirmed`)),
    (err: unknown) => refuse(err),
  ).finally(() => {
    clearTimeout(readyTimer);
    clearTimeout(lifeTimer);
    opts.signal?.removeEventListener("abort", stop);
    ctrl.abort();
  });
  return { ready, closed, openedAt: Date.now(), close: stop };
}

/** `s` as a glob matching itself literally (for a PSUBSCRIBE pattern built from a key prefix). */
export function globEscape(s: string): string {
  return s.replace(/[*?[\]\\]/g, "\\$&");
}
