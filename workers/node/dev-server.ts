/**
 * A small Upstash Redis REST endpoint in front of a real Redis, for local development and tests:
 * the unmodified `@upstash/redis` client talks to it exactly as it would to Upstash.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import { authorized, pathArgs, readBody, sha256 } from "./dev-http.ts";
import { subscriptions } from "./dev-subscribe.ts";
import { BadRequestError, parseBody, TooLargeError } from "./resp.ts";
import { redisLink } from "./redis-link.ts";
import type { DevServer, DevServerOptions, DevServerStats } from "./dev-types.ts";

export type { DevServer, DevServerOptions, DevServerStats } from "./dev-types.ts";


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
  const subs = subscriptions(redisUrl, stats, opts.maxSubscriptions ?? 256, 30_000);
  let syncToken = 0;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<[number, unknown] | null> {
    const url = new URL(req.url ?? "/", "http://localhost");
    const path = url.pathname;
    if (path === "/" && /^(GET|HEAD)$/.test(req.method ?? "")) return [200, { result: "Welcome to the celeriac dev server" }];
    const kind = opts.pubsub === false ? undefined : /^\/(subscribe|psubscribe|publish)\//.exec(path)?.[1];
    if (path !== "/" && path !== "/pipeline" && path !== "/multi-exec" && !kind) {
      return [404, { error: `Endpoint not found: ${path} (use /, /pipeline, /multi-exec, /subscribe/<ch>, /publish/<ch>/<msg>)` }];
    }
    if (req.method !== "POST" && !(kind && req.method === "GET")) return [405, { error: `Method ${req.method} not allowed on ${path}` }];
    if (!authorized(req, url, tokenDigest)) return [401, { error: "WRONGPASS invalid or missing auth token" }]; // Upstash's answer
    if (kind) {
      const args = pathArgs(path);
      if (!args) throw new BadRequestError("ERR malformed percent-encoding in the path");
      if (kind !== "publish") {
        subs.serve(req, res, kind === "subscribe" ? "subscribe" : "psubscribe", args);
        return null;
      }
      req.resume();
      if (args.length !== 2) throw new BadRequestError("ERR wrong number of arguments for /publish/<channel>/<message>");
      return link.execute("/", [["PUBLISH", ...args]], false);
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
    handle(req, res).then((r) => r && reply(r), (err: unknown) => {
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
    subs.close();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    token,
    port,
    stats,
    subscriptions: () => subs.open,
    resetStats(): void {
      stats.requests = 0;
      stats.commands = 0;
    },
    async close(): Promise<void> {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive sockets from fetch would otherwise hold close() open (not every runtime has this).
      if (typeof server.closeAllConnections === "function") server.closeAllConnections();
      subs.close();
      link.close();
      await closed;
    },
  };
}
