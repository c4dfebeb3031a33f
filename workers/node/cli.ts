#!/usr/bin/env node
/**
 * The `celeriac` command line: `worker` and `beat` run the app exported by your module
 * (`celeriac worker -A tasks.ts -Q a,b -c 8`, `celeriac beat -A tasks.ts`, see docs/cli.md),
 * `inspect` shows its tasks, queues, dead letters, results and running workers (`celeriac inspect
 * -A tasks.ts queues`, `... inspect active`), `events` follows Celery's events live, `purge` empties
 * queues, `result` prints one task's result, and `dev` serves a local Upstash-compatible endpoint.
 * Each subcommand is one entry of {@link COMMANDS}.
 *
 * Exit codes: 0 done (or a warm shutdown), 1 an error, 2 bad usage (flags, a module or app that
 * `-A` cannot find, TypeScript on a Node without tsx), 130/143 a cold shutdown (SIGINT/SIGTERM).
 */
import process from "node:process";
import { beatCommand } from "./beat-command.ts";
import { UsageError, type Subcommand } from "./cli-kit.ts";
import { devCommand } from "./dev-command.ts";
import { eventsCommand } from "./events-command.ts";
import { inspectCommand } from "./inspect-command.ts";
import { purgeCommand, resultCommand } from "./queue-commands.ts";
import { workerCommand } from "./worker-command.ts";
import { launchedByBun, relaunchUnderBun } from "./runtime.ts";

const COMMANDS: Record<string, Subcommand> = {
  worker: workerCommand,
  beat: beatCommand,
  inspect: inspectCommand,
  events: eventsCommand,
  purge: purgeCommand,
  result: resultCommand,
  dev: devCommand,
};

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
