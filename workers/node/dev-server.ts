/**
 * A small Upstash Redis REST endpoint in front of a real Redis, for local development and tests:
 * the unmodified `@upstash/redis` client talks to it exactly as it would to Upstash.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createHash, randomUUID, timingSafeEqual } from "node:crypto";
import { Buffer } from "node:buffer";
import { BadRequestError, parseBody } from "./resp.ts";
import { redisLink } from "./redis-link.ts";

/** Options for {@link startDevServer}. */
export interface DevServerOptions {
  /** Redis to proxy to; the path selects the DB (`redis://127.0.0.1:6379/5`). Default `redis://127.0.0.1:6379`. */
  redisUrl?: string;
  /** Bearer token clients must send; a random one is generated when omitted. */
  token?: string;
  /** HTTP port; default 8079, 0 picks a free port. */
  port?: number;
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
}

/** Counters for round-trip assertions and benchmarks. */
export interface DevServerStats {
  /** HTTP requests served (any path or status). */
  requests: number;
  /** Client commands sent to Redis (the MULTI/EXEC wrapping of /multi-exec is not counted). */
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
  /** Sets both counters back to zero. */
  resetStats(): void;
  /** Stops listening and closes every Redis connection. */
  close(): Promise<void>;
}

const sha256 = (s: string): Buffer => createHash("sha256").update(s).digest();

/** Starts the dev server; it answers even while Redis is down (HTTP 500 per request). */
export async function startDevServer(opts: DevServerOptions = {}): Promise<DevServer> {
  const redisUrl = opts.redisUrl ?? "redis://127.0.0.1:6379";
  const token = opts.token ?? randomUUID().replaceAll("-", "");
  const host = opts.host ?? "127.0.0.1";
  const tokenDigest = sha256(token);
  const stats: DevServerStats = { requests: 0, commands: 0 };
  const link = redisLink(redisUrl, stats);
  let syncToken = 0;

  async function handle(req: IncomingMessage): Promise<[number, unknown]> {
    const url = new URL(req.url ?? "/", "http://localhost");
    const path = url.pathname;
    if (path === "/" && (req.method === "GET" || req.method === "HEAD")) {
      return [200, { result: "Welcome to the celeriac dev server (Upstash Redis REST API compatible)" }];
    }
    if (path !== "/" && path !== "/pipeline" && path !== "/multi-exec") {
      return [404, { error: `Endpoint not found: ${path} (use /, /pipeline or /multi-exec)` }];
    }
    if (req.method !== "POST") return [405, { error: `Method ${req.method} not allowed on ${path}` }];
    const auth = req.headers.authorization ?? "";
    const given = /^bearer\s+/i.test(auth) ? auth.replace(/^bearer\s+/i, "") : url.searchParams.get("_token");
    if (given === null || !timingSafeEqual(sha256(given), tokenDigest)) return [401, { error: "Unauthorized" }];

    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(Buffer.from(chunk as Uint8Array));
    const cmds = parseBody(Buffer.concat(chunks).toString("utf8"), path !== "/");
    const base64 = String(req.headers["upstash-encoding"] ?? "").toLowerCase() === "base64";
    return link.execute(path, cmds, base64);
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    stats.requests++;
    const reply = ([status, body]: [number, unknown]): void => {
      res.writeHead(status, { "content-type": "application/json", "upstash-sync-token": String(++syncToken) });
      res.end(JSON.stringify(body));
    };
    handle(req).then(reply, (err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      reply([err instanceof BadRequestError ? 400 : 500, { error: message }]);
    });
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(opts.port ?? 8079, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (err) {
    link.close();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    token,
    port,
    stats,
    resetStats(): void {
      stats.requests = 0;
      stats.commands = 0;
    },
    async close(): Promise<void> {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive sockets from fetch would otherwise hold close() open (not every runtime has this).
      if (typeof server.closeAllConnections === "function") server.closeAllConnections();
      link.close();
      await closed;
    },
  };
}
