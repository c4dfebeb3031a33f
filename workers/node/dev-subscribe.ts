/**
 * Upstash's pub/sub over HTTP for the dev endpoint: `POST /subscribe/<channel>[/<channel>…]` and
 * `/psubscribe/<pattern>[/…]` answer a Server-Sent Events stream: `data: subscribe,<ch>,<n>` per
 * channel once Redis confirmed it, then `data: message,<ch>,<payload>` (`pmessage,<pat>,<ch>,
 * <payload>`) per message, and a `: keep-alive` comment every `keepAliveMs`. Each stream has its
 * own Redis connection, closed when the client goes away or the server closes; at most
 * `max` streams are open at once (HTTP 429 beyond). The caller checks the token first.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { Redis } from "ioredis";
import { REDIS_OPTIONS } from "./redis-options.ts";

/** Open streams of one dev server. */
export interface Subscriptions {
  /** Serve one subscribe request (`kind` from the path, `names` decoded). */
  serve(req: IncomingMessage, res: ServerResponse, kind: "subscribe" | "psubscribe", names: string[]): void;
  /** How many streams are open. */
  readonly open: number;
  close(): void;
}

/** Counters shared with the HTTP side. */
interface Stats {
  commands: number;
}

/** SSE `data:` lines for one event (a payload with line breaks takes several, as the spec says). */
function frame(text: string): string {
  return text.split(/\r\n|\r|\n/).map((l) => `data: ${l}\n`).join("") + "\n";
}

/** Streams for `redisUrl`, at most `max` at once. */
export function subscriptions(redisUrl: string, stats: Stats, max: number, keepAliveMs: number): Subscriptions {
  const live = new Set<() => void>();

  function serve(req: IncomingMessage, res: ServerResponse, kind: "subscribe" | "psubscribe", names: string[]): void {
    req.resume(); // the body (the client sends `[]`) is not needed
    const refuse = (status: number, error: string): void => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify({ error }));
    };
    if (!names.length || names.some((n) => !n)) return refuse(400, `ERR ${kind} needs at least one non-empty channel`);
    if (live.size >= max) return refuse(429, `ERR too many open subscriptions (limit ${max})`);
    const conn = new Redis(redisUrl, { ...REDIS_OPTIONS, lazyConnect: true, retryStrategy: () => null });
    let ended = false;
    let ping: ReturnType<typeof setInterval> | undefined;
    const end = (): void => {
      if (ended) return;
      ended = true;
      live.delete(end);
      clearInterval(ping);
      conn.disconnect();
      res.end();
    };
    live.add(end);
    res.on("close", end);
    conn.on("error", () => {});
    conn.on("end", end);
    // A message parsed in the same read as the confirmation is emitted before the promise settles: held until then.
    let held: string[] | null = [];
    const write = (text: string): void => {
      if (held) held.push(text);
      else if (!ended) res.write(frame(text));
    };
    if (kind === "subscribe") conn.on("message", (ch: string, msg: string) => write(`message,${ch},${msg}`));
    else conn.on("pmessage", (pat: string, ch: string, msg: string) => write(`pmessage,${pat},${ch},${msg}`));
    stats.commands++;
    const started = kind === "subscribe" ? conn.subscribe(...names) : conn.psubscribe(...names);
    started.then(() => {
      if (ended) return;
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
      const early = held ?? [];
      held = null;
      names.forEach((n, i) => write(`${kind},${n},${i + 1}`));
      early.forEach(write);
      ping = setInterval(() => ended || res.write(": keep-alive\n\n"), keepAliveMs);
    }, (err: unknown) => {
      if (ended) return;
      live.delete(end);
      ended = true;
      conn.disconnect();
      refuse(500, `Unable to subscribe: ${err instanceof Error ? err.message : String(err)}`);
    });
  }

  return {
    serve,
    get open() {
      return live.size;
    },
    close(): void {
      for (const end of [...live]) end();
    },
  };
}
