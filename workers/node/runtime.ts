/**
 * How the CLI runs on each runtime. Bun and Deno import TypeScript themselves, and so does a
 * Node that strips types (22.18+, 23.6+). An older Node (20) goes through tsx's `register()`,
 * loaded only when the module named by `-A` is TypeScript: tsx is an optional peer dependency, so
 * library-only users (edge, bundlers) never install it. Under `bunx`, whose launch honours the
 * CLI's node shebang, the CLI hands itself over to Bun.
 * @module
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import process from "node:process";
import { pathToFileURL } from "node:url";
import { constants } from "node:os";

const TS_FILE = /\.[cm]?tsx?$/;

/** A TypeScript module on a Node without type stripping, and tsx not installed (a usage error). */
export class NoLoaderError extends Error {
  override name = "NoLoaderError";
}

/** Import the user's module at `path`, registering tsx first when this Node needs it for TypeScript. */
export async function importUserModule(path: string): Promise<Record<string, unknown>> {
  if (TS_FILE.test(path) && !loadsTypeScript()) await registerTsx(path);
  return (await import(pathToFileURL(path).href)) as Record<string, unknown>;
}

function loadsTypeScript(): boolean {
  const v = process.versions as Record<string, string | undefined>;
  if (v.bun || v.deno) return true;
  // Node ≥ 22.10 reports its own type stripping; a --import tsx preload shows in execArgv/NODE_OPTIONS.
  if ((process.features as { typescript?: unknown }).typescript) return true;
  return /(^|\s|=)tsx(\/esm)?(\s|$)/.test(`${process.execArgv.join(" ")} ${process.env.NODE_OPTIONS ?? ""}`);
}

async function registerTsx(path: string): Promise<void> {
  // Not a literal specifier: bundlers and `deno publish` must not follow it (Node-only, optional).
  const specifier = "tsx/esm/api";
  let api: { register(): unknown };
  try {
    api = (await import(specifier)) as typeof api;
  } catch (err) {
    if ((err as { code?: unknown }).code !== "ERR_MODULE_NOT_FOUND") throw err;
    throw new NoLoaderError(
      `cannot import ${path}: Node ${process.version} does not load TypeScript by itself, and the loader ` +
        `celeriac uses for it is not installed. Install it next to celeriac:\n  npm install -D tsx\n` +
        `(or use Node ≥ 22.18, bunx celeriac ..., deno run -A jsr:@celeriac/celeriac/cli ..., or give -A a compiled .js)`,
    );
  }
  api.register();
}

// What Node says when a module compiled to CommonJS requires an ESM-only package.
const REQUIRED_ESM = ["ERR_REQUIRE_ESM", "ERR_REQUIRE_CYCLE_MODULE", "ERR_REQUIRE_ASYNC_MODULE", "ERR_PACKAGE_PATH_NOT_EXPORTED"];

/** For a `.ts`/`.js` module that failed because it ran as CommonJS: how to make it ESM. */
export function esmOnlyHint(path: string, err: unknown): string | undefined {
  if (!/\.(ts|js)$/.test(path) || !REQUIRED_ESM.includes(String((err as { code?: unknown })?.code))) return undefined;
  return `cannot import ${path}: it was loaded as CommonJS (its package.json has no "type": "module"), and celeriac ` +
    `is ESM only. Add "type": "module" to package.json, or rename it to ${path.replace(/\.(ts|js)$/, ".m$1")}.\n(${(err as Error).message})`;
}

/** True when Bun launched this Node process (`bunx celeriac`, `bun run` of a script) without `--bun`. */
export function launchedByBun(): boolean {
  // bunx sets npm_lifecycle_event; it keeps an inherited npm_config_user_agent (npm's, under npm scripts).
  const env = process.env;
  return !process.versions.bun && (env.npm_lifecycle_event === "bunx" || /^bun\//.test(env.npm_config_user_agent ?? ""));
}

/**
 * Run this CLI again under Bun with the same arguments and resolve to its exit code (null when
 * Bun cannot be started; the caller then goes on under Node). Ctrl+C reaches both processes
 * (one process group); a SIGTERM sent to this one only is passed on.
 */
export function relaunchUnderBun(script: string, argv: string[]): Promise<number | null> {
  const launcher = process.env.npm_execpath ?? "";
  const nextTo = /^bunx?(\.exe)?$/.test(basename(launcher)) ? ["bun", "bun.exe"].map((n) => join(dirname(launcher), n)) : [];
  const bun = nextTo.find((p) => existsSync(p)) ?? "bun";
  return new Promise((resolve) => {
    const child = spawn(bun, [script, ...argv], { stdio: "inherit" });
    const relay = (): void => void child.kill("SIGTERM");
    process.on("SIGTERM", relay);
    process.on("SIGINT", () => {}); // the child gets the terminal's SIGINT itself
    child.on("error", () => resolve(null));
    child.on("exit", (code, sig) => resolve(code ?? 128 + (constants.signals[sig!] ?? 0)));
  });
}
