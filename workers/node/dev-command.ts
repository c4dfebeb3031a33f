/**
 * `celeriac dev`: a local Upstash Redis REST endpoint in front of a real Redis, and a local
 * QStash API (see docs/cli.md).
 * @module
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { UsageError, type Subcommand } from "./cli-kit.ts";
import { startQStashDev } from "./qstash-dev.ts";

/** `celeriac dev`. */
export const devCommand: Subcommand = {
  summary: "Run a local Upstash Redis REST endpoint in front of a real Redis, and a local QStash API",
  usage: `celeriac dev [--port 8079] [--redis-port N | --redis-url URL] [--token T]

  --port N         HTTP port to listen on (default 8079, 0 = any free port)
  --host H         interface to listen on (default 127.0.0.1)
  --redis-port N   proxy to redis://127.0.0.1:N
  --redis-url URL  proxy to URL (default: $REDIS_URL, else redis://127.0.0.1:6379)
  --token T        token clients must send (default: a random one)
  --qstash-port N  local QStash API port (default 8080, the official dev server's; "off" = none)
  --qstash-retry-scale F  multiply QStash's retry backoff (default 1)`,
  run: runDev,
};

async function runDev(argv: string[]): Promise<number | undefined> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: "string" },
      host: { type: "string" },
      "redis-port": { type: "string" },
      "redis-url": { type: "string" },
      token: { type: "string" },
      "qstash-port": { type: "string" },
      "qstash-retry-scale": { type: "string" },
    },
  });
  if (values["redis-port"] !== undefined && values["redis-url"] !== undefined) {
    throw new UsageError("use either --redis-port or --redis-url, not both");
  }
  const redisUrl =
    values["redis-url"] ??
    (values["redis-port"] !== undefined ? `redis://127.0.0.1:${parsePort(values["redis-port"], "--redis-port")}` : undefined) ??
    process.env.REDIS_URL ??
    "redis://127.0.0.1:6379";
  const server = await (await loadDevServer()).startDevServer({
    redisUrl,
    token: values.token,
    host: values.host,
    port: values.port === undefined ? 8079 : parsePort(values.port, "--port"),
  });

  console.log(`celeriac dev: Upstash Redis REST API on ${server.url} -> ${redisUrl.replace(/\/\/[^@/]*@/, "//***@")}`);
  console.log(`token: ${server.token}\n`);
  console.log(`UPSTASH_REDIS_REST_URL=${server.url}`);
  console.log(`UPSTASH_REDIS_REST_TOKEN=${server.token}\n`);
  // Go through our own endpoint so the warning shows exactly what clients would get.
  const ping = await fetch(server.url, {
    method: "POST",
    headers: { authorization: `Bearer ${server.token}` },
    body: '["PING"]',
  }).then((r) => r.json() as Promise<{ error?: string }>, (err: unknown) => ({ error: String(err) }));
  if (ping.error) console.error(`warning: ${ping.error} (requests fail with HTTP 500 until Redis is up)`);
  const qstash = values["qstash-port"] === "off" ? null : await startQStashDev({
    host: values.host, port: values["qstash-port"] === undefined ? 8080 : parsePort(values["qstash-port"], "--qstash-port"),
    retryDelayScale: values["qstash-retry-scale"] === undefined ? 1 : Number(values["qstash-retry-scale"]),
  });
  if (qstash) {
    console.log(`celeriac dev: QStash API on ${qstash.url} (the official dev credentials)\n`);
    console.log(`QSTASH_URL=${qstash.url}\nQSTASH_TOKEN=${qstash.credentials.token}`);
    console.log(`QSTASH_CURRENT_SIGNING_KEY=${qstash.credentials.currentSigningKey}\nQSTASH_NEXT_SIGNING_KEY=${qstash.credentials.nextSigningKey}\n`);
  }
  console.log("Press Ctrl+C to stop.");

  const stop = (): void => {
    Promise.all([server.close(), qstash?.stop()]).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  return undefined;
}

// ioredis (the dev server's Redis client) is an optional peer: only `celeriac dev` needs it.
async function loadDevServer(): Promise<typeof import("./dev-server.ts")> {
  try {
    return await import("./dev-server.ts");
  } catch (err) {
    if ((err as { code?: unknown }).code !== "ERR_MODULE_NOT_FOUND" || !/ioredis/.test(String(err))) throw err;
    throw new UsageError(
      "needs ioredis (its Redis client), an optional peer dependency that is not installed:\n" +
        "  npm install -D ioredis      (or: npx -p celeriac -p ioredis celeriac dev)",
      false,
    );
  }
}

function parsePort(text: string, flag: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : -1;
  if (port < 0 || port > 65535) throw new UsageError(`${flag} must be a port number, got "${text}"`);
  return port;
}

