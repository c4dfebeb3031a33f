#!/usr/bin/env node
/**
 * The `celeriac` command line: `worker` and `beat` run the app exported by your module
 * (`celeriac worker -A tasks.ts -Q a,b -c 8`, `celeriac beat -A tasks.ts`, see docs/cli.md),
 * `inspect` shows its tasks, queues, dead letters and results (`celeriac inspect -A tasks.ts
 * queues`), and `dev` serves a local Upstash-compatible endpoint. Each subcommand is one entry of
 * {@link COMMANDS}.
 *
 * Exit codes: 0 done (or a warm shutdown), 1 an error, 2 bad usage (flags, a module or app that
 * `-A` cannot find, TypeScript on a Node without tsx), 130/143 a cold shutdown (SIGINT/SIGTERM).
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { beatCommand, workerCommand } from "./app-commands.ts";
import { UsageError, type Subcommand } from "./cli-kit.ts";
import { inspectCommand } from "./inspect-command.ts";
import { startQStashDev } from "./qstash-dev.ts";
import { launchedByBun, relaunchUnderBun } from "./runtime.ts";

const COMMANDS: Record<string, Subcommand> = {
  worker: workerCommand,
  beat: beatCommand,
  inspect: inspectCommand,
  dev: {
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

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const list = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `Usage: celeriac <command> [options]\n\nCommands:\n${list.join("\n")}\n\nRun "celeriac <command> --help" for the options of one command.`;
}

/** Resolves to the exit code, or to undefined while a subcommand keeps serving. */
async function main(argv: string[]): Promise<number | undefined> {
  // Celery's order works too: `celeriac -A tasks.ts worker` = `celeriac worker -A tasks.ts`.
  const appFlag = /^(-A|--app)$/.test(argv[0] ?? "") ? 2 : /^--app=/.test(argv[0] ?? "") ? 1 : 0;
  const [name, ...rest] = [...argv.slice(appFlag), ...argv.slice(0, appFlag)];
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
      const help = err instanceof UsageError && !err.showUsage ? "" : `\n\nUsage: ${command.usage}`;
      console.error(`celeriac ${name}: ${(err as Error).message}${help}`);
      return 2;
    }
    throw err;
  }
}

// A finished command exits even if the user's module left handles open (timers, pools),
// once stdout and stderr are flushed.
const exit = (code: number): void => {
  process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
};
// `bunx celeriac` honours the node shebang: hand over to Bun, which imports TypeScript itself.
const run = launchedByBun()
  ? relaunchUnderBun(process.argv[1], process.argv.slice(2)).then((code) => code ?? main(process.argv.slice(2)))
  : main(process.argv.slice(2));
run.then(
  (code) => {
    if (code !== undefined) exit(code);
  },
  (err: unknown) => {
    console.error(`celeriac: ${err instanceof Error ? err.message.replace(/^\[celeriac\] /, "") : String(err)}`);
    exit(1);
  },
);
