/**
 * A small Upstash Redis REST endpoint in front of a real Redis, for local development and tests:
 * the unmodified `@upstash/redis` client talks to it exactly as it would to Upstash.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createHash, randomUUID, timingSafeEqual } from "node:crypto";
import { Buffer } from "node:buffer";
import { BadRequestError, parseBody, TooLargeError } from "./resp.ts";
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
  /** Largest request body in bytes (default 10 MiB); a larger one gets HTTP 413 unread. */
  maxBodyBytes?: number;
  /** Most commands in one /pipeline or /multi-exec request (default 10 000); more gets HTTP 413. */
  maxCommands?: number;
  /** A request whose script still runs after this many ms gets SCRIPT KILL on a side connection (default 5000). */
  scriptTimeoutMs?: number;
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

/** The body as text, refused (TooLargeError) as soon as it passes `max` bytes. */
async function readBody(req: IncomingMessage, max: number): Promise<string> {
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

/** Starts the dev server; it answers even while Redis is down (HTTP 500 per request). */
export async function startDevServer(opts: DevServerOptions = {}): Promise<DevServer> {
  const redisUrl = opts.redisUrl ?? "redis://127.0.0.1:6379";
  const token = opts.token ?? randomUUID().replaceAll("-", "");
  const host = opts.host ?? "127.0.0.1";
  const tokenDigest = sha256(token);
  const stats: DevServerStats = { requests: 0, commands: 0 };
  const link = redisLink(redisUrl, stats, opts.scriptTimeoutMs ?? 5000);
  const maxBody = opts.maxBodyBytes ?? 10 * 2 ** 20;
  const maxCommands = opts.maxCommands ?? 10_000;
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
    if (given === null || !timingSafeEqual(sha256(given), tokenDigest)) {
      return [401, { error: "WRONGPASS invalid or missing auth token" }]; // Upstash's answer
    }
    const cmds = parseBody(await readBody(req, maxBody), path !== "/");
    if (cmds.length > maxCommands) throw new TooLargeError(`ERR too many commands in one request: ${cmds.length} > ${maxCommands}`);
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
      if (err instanceof TooLargeError) {
        res.setHeader("connection", "close");
        req.resume(); // the rest of the body is discarded as it arrives, never buffered
      }
      reply([err instanceof TooLargeError ? 413 : err instanceof BadRequestError ? 400 : 500, { error: message }]);
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
