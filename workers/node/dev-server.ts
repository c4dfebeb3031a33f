/**
 * A small Upstash Redis REST endpoint in front of a real Redis, for local development and tests:
 * the unmodified `@upstash/redis` client talks to it exactly as it would to Upstash.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createHash, randomUUID, timingSafeEqual } from "node:crypto";
import { Buffer } from "node:buffer";
import { Redis, Command, type RedisOptions } from "ioredis";
import { BadRequestError, isReplyError, parseBody, refusalFor, toJson } from "./resp.ts";

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

const REDIS_OPTIONS: RedisOptions = {
  // Commands issued while Redis is down are failed at the next failed reconnect attempt (<= ~1 s)
  // instead of waiting forever; the offline queue stays on so requests made while still
  // connecting at startup just wait for the connection.
  maxRetriesPerRequest: 0,
  retryStrategy: (times) => Math.min(times * 100, 1000),
  connectTimeout: 2000,
  // Never replay a half-answered INCR after a reconnect: the HTTP caller got a 500 and decides.
  autoResendUnfulfilledCommands: false,
};

/** Replies exactly as Redis sent them: ioredis would otherwise turn HGETALL into an object. */
class RawCommand extends Command {
  override transformReply(result: Buffer | Buffer[]): Buffer | Buffer[] {
    return result;
  }
}

/** Redis could not be reached: the whole request fails with HTTP 500. */
class UnreachableError extends Error {}

type Outcome = { result: unknown } | { error: string };

const sha256 = (s: string): Buffer => createHash("sha256").update(s).digest();

/** Starts the dev server; it answers even while Redis is down (HTTP 500 per request). */
export async function startDevServer(opts: DevServerOptions = {}): Promise<DevServer> {
  const redisUrl = opts.redisUrl ?? "redis://127.0.0.1:6379";
  const token = opts.token ?? randomUUID().replaceAll("-", "");
  const host = opts.host ?? "127.0.0.1";
  const tokenDigest = sha256(token);
  const stats: DevServerStats = { requests: 0, commands: 0 };
  const connections = new Set<Redis>();
  const idle: Redis[] = []; // dedicated connections for MULTI/EXEC, reused between requests
  let lastConnectionError = "";
  let syncToken = 0;

  const connect = (): Redis => {
    const conn = new Redis(redisUrl, REDIS_OPTIONS);
    conn.on("error", (err: Error) => (lastConnectionError = err.message || String(err)));
    conn.on("ready", () => (lastConnectionError = ""));
    connections.add(conn);
    return conn;
  };
  const drop = (conn: Redis): void => {
    connections.delete(conn);
    conn.disconnect();
  };
  const shared = connect();

  const send = (conn: Redis, cmd: string[], counted = true): Promise<unknown> => {
    if (counted) stats.commands++;
    const [name = "", ...args] = cmd;
    return conn.sendCommand(new RawCommand(name, args, { replyEncoding: null })) as Promise<unknown>;
  };

  const unreachable = (err: unknown): UnreachableError => {
    const detail = lastConnectionError || (err instanceof Error ? err.message : String(err));
    return new UnreachableError(`Unable to connect to Redis at ${redactUrl(redisUrl)}: ${detail}`);
  };

  const outcome = (p: Promise<unknown>, base64: boolean): Promise<Outcome> =>
    p.then(
      (reply): Outcome => ({ result: toJson(reply, base64) }),
      (err: unknown): Outcome => {
        if (isReplyError(err)) return { error: err.message };
        throw unreachable(err);
      },
    );

  async function multiExec(cmds: string[][], base64: boolean): Promise<[number, unknown]> {
    const conn = idle.pop() ?? connect();
    // Pipelined on a connection nobody else uses, so no foreign command lands inside the transaction.
    const sent = [send(conn, ["MULTI"], false), ...cmds.map((cmd) => send(conn, cmd)), send(conn, ["EXEC"], false)];
    const settled = await Promise.allSettled(sent);
    const failed = settled.find((s) => s.status === "rejected" && !isReplyError(s.reason));
    if (failed) {
      drop(conn); // its transaction state is unknown
      throw unreachable((failed as PromiseRejectedResult).reason);
    }
    if (idle.length < 4) idle.push(conn);
    else drop(conn);
    const exec = settled[settled.length - 1]!;
    if (exec.status === "rejected") {
      // EXECABORT: a command was refused at queue time (unknown command, wrong arity...); say which.
      const cause = settled.find((s): s is PromiseRejectedResult => s.status === "rejected" && s !== exec);
      const message = (exec.reason as Error).message;
      return [400, { error: cause ? `${message} (${(cause.reason as Error).message})` : message }];
    }
    const replies = exec.value as unknown[];
    return [200, replies.map((r) => (isReplyError(r) ? { error: r.message } : { result: toJson(r, base64) }))];
  }

  async function execute(path: string, cmds: string[][], base64: boolean): Promise<[number, unknown]> {
    const refusals = cmds.map(refusalFor);
    if (path === "/") {
      if (refusals[0]) return [400, { error: refusals[0] }];
      const out = await outcome(send(shared, cmds[0]!), base64);
      return ["error" in out ? 400 : 200, out];
    }
    if (path === "/multi-exec") {
      const refused = refusals.find((r) => r !== undefined);
      return refused ? [400, { error: refused }] : multiExec(cmds, base64);
    }
    // Every command is written at once on the shared connection; RESP keeps them in order.
    const outs = cmds.map((cmd, i) => {
      const refused = refusals[i];
      return refused ? Promise.resolve<Outcome>({ error: refused }) : outcome(send(shared, cmd), base64);
    });
    return [200, await Promise.all(outs)];
  }

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
    return execute(path, cmds, base64);
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
    for (const conn of connections) drop(conn);
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
      for (const conn of connections) drop(conn);
      await closed;
    },
  };
}

/** The Redis URL without its password, for error messages. */
function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = "***";
    return url.toString();
  } catch {
    return "(invalid Redis URL)";
  }
}
