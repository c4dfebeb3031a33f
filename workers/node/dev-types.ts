/**
 * The dev endpoint's options, counters and handle (`startDevServer` in ./dev-server.ts).
 * @module
 */

/** Options for `startDevServer`. */
export interface DevServerOptions {
  /** Redis to proxy to; the path selects the DB (`redis://127.0.0.1:6379/5`). Default `redis://127.0.0.1:6379`. */
  redisUrl?: string;
  /** Bearer token clients must send; a random one is generated when omitted. */
  token?: string;
  /** HTTP port; default 8079, 0 picks a free port. */
  port?: number;
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
  /** Largest request body in bytes (default 10 MiB); a larger one gets HTTP 413 unread. */
  maxBodyBytes?: number;
  /** Most commands in one /pipeline or /multi-exec request (default 10 000); more gets HTTP 413. */
  maxCommands?: number;
  /** A request whose script still runs after this many ms gets SCRIPT KILL on a side connection (default 5000). */
  scriptTimeoutMs?: number;
  /** Most SSE streams (`/subscribe`, `/psubscribe`) open at once (default 256); more get HTTP 429. */
  maxSubscriptions?: number;
  /** Serve `/subscribe`, `/psubscribe`, `/publish` (default true; false answers 404, like SRH). */
  pubsub?: boolean;
}

/** Counters for round-trip assertions and benchmarks. */
export interface DevServerStats {
  /** HTTP requests served (any path or status; an SSE stream counts once, when it opens). */
  requests: number;
  /** Client commands sent to Redis (the MULTI/EXEC wrapping of /multi-exec is not counted; a subscribe is one). */
  commands: number;
}

/** A running dev server. */
export interface DevServer {
  /** Base URL, e.g. `http://127.0.0.1:8079`: use as `UPSTASH_REDIS_REST_URL`. */
  url: string;
  /** Token to use as `UPSTASH_REDIS_REST_TOKEN`. */
  token: string;
  /** The port actually bound (useful with `port: 0`). */
  port: number;
  /** Live counters; see {@link DevServerStats}. */
  stats: DevServerStats;
  /** SSE streams open now (`/subscribe/<channel>`, `/psubscribe/<pattern>`). */
  subscriptions(): number;
  /** Sets both counters back to zero. */
  resetStats(): void;
  /** Stops listening and closes every Redis connection. */
  close(): Promise<void>;
}
