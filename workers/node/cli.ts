#!/usr/bin/env node
/**
 * The `celeriac` command line. Each subcommand is one entry of {@link COMMANDS}, so `worker`,
 * `beat` and `inspect` can be added without touching the dispatch code.
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { startDevServer } from "./dev-server.ts";

/** One subcommand: `run` resolves to an exit code, or to undefined when it keeps running (a server). */
interface Subcommand {
  summary: string;
  usage: string;
  run(argv: string[]): Promise<number | undefined>;
}

/** Bad flags or arguments: printed with the usage, exit code 2. */
class UsageError extends Error {}

const COMMANDS: Record<string, Subcommand> = {
  dev: {
    summary: "Run a local Upstash Redis REST endpoint in front of a real Redis",
    usage: `celeriac dev [--port 8079] [--redis-port N | --redis-url URL] [--token T]

  --port N         HTTP port to listen on (default 8079, 0 = any free port)
  --host H         interface to listen on (default 127.0.0.1)
  --redis-port N   proxy to redis://127.0.0.1:N
  --redis-url URL  proxy to URL (default: $REDIS_URL, else redis://127.0.0.1:6379)
  --token T        token clients must send (default: a random one)`,
    run: runDev,
  },
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
  const server = await startDevServer({
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
  console.log("Press Ctrl+C to stop.");

  const stop = (): void => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  return undefined;
}

function parsePort(text: string, flag: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : -1;
  if (port < 0 || port > 65535) throw new UsageError(`${flag} must be a port number, got "${text}"`);
  return port;
}

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const list = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `Usage: celeriac <command> [options]\n\nCommands:\n${list.join("\n")}\n\nRun "celeriac <command> --help" for the options of one command.`;
}

/** Resolves to the exit code, or to undefined while a subcommand keeps serving. */
async function main(argv: string[]): Promise<number | undefined> {
  const [name, ...rest] = argv;
  if (name === "--help" || name === "-h" || name === "help") {
    console.log(usage());
    return 0;
  }
  const command = name === undefined ? undefined : COMMANDS[name];
  if (command === undefined) {
    console.error(name === undefined ? usage() : `celeriac: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(`Usage: ${command.usage}`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    // parseArgs reports unknown or malformed flags with ERR_PARSE_ARGS_* codes.
    const code = (err as { code?: unknown }).code;
    if (err instanceof UsageError || (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS"))) {
      console.error(`celeriac ${name}: ${(err as Error).message}\n\nUsage: ${command.usage}`);
      return 2;
    }
    throw err;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== undefined) process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`celeriac: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
