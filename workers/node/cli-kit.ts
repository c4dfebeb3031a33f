/**
 * Pieces shared by the `celeriac` subcommands: the {@link Subcommand} shape, {@link UsageError},
 * number flags, signal handling, and {@link loadApp}, which imports the user's module named by `-A` (Celery's
 * `celery -A proj`).
 * @module
 */
import { statSync } from "node:fs";
import { resolve } from "node:path";
import process from "node:process";
import { Celeriac } from "../../mod.ts";
import { esmOnlyHint, importUserModule, NoLoaderError } from "./runtime.ts";

/** One subcommand: `run` resolves to an exit code, or to undefined when it keeps running (a server). */
export interface Subcommand {
  summary: string;
  usage: string;
  run(argv: string[]): Promise<number | undefined>;
}

/** Bad flags or arguments (exit code 2); printed with the command's usage when `showUsage`. */
export class UsageError extends Error {
  override name = "UsageError";
  constructor(message: string, readonly showUsage = true) {
    super(message);
  }
}

/**
 * A flag's value as a number ≥ `min` (a whole number unless `fractional`); undefined when the
 * flag was not given. Throws {@link UsageError} otherwise.
 */
export function numberFlag(text: string | undefined, flag: string, min = 1, fractional = false): number | undefined {
  if (text === undefined) return undefined;
  const pattern = fractional ? /^\d+(\.\d+)?$/ : /^\d+$/;
  const n = pattern.test(text) ? Number(text) : NaN;
  if (!(n >= min) || !Number.isFinite(n)) {
    throw new UsageError(`${flag} must be a ${fractional ? "number" : "whole number"} ≥ ${min}, got "${text}"`);
  }
  return n;
}

/**
 * Aborted by the first SIGINT/SIGTERM (or by the caller); a signal more than a second later exits
 * at once with 130 (SIGINT) or 143 (SIGTERM). Closer ones are the first one again: a Ctrl+C or a systemd stop reaches both a
 * wrapper (tsx) and this process, and the wrapper may relay it once more.
 */
export function stopOnSignals(what: string, doing: string): AbortController {
  const ctrl = new AbortController();
  let first = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (first && Date.now() - first < 1000) return;
    first ||= Date.now();
    if (ctrl.signal.aborted) {
      log(`${what}: ${sig} again, cold shutdown`, "warning");
      process.exit(sig === "SIGINT" ? 130 : 143); // what a shell (and npx) reports for the signal
    }
    log(`${what}: ${sig}, warm shutdown: ${doing} (send it again to quit at once)`);
    ctrl.abort();
  };
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    try {
      process.on(sig, onSignal);
    } catch { /* a runtime that cannot listen to this signal (Deno on Windows: SIGTERM) */ }
  }
  return ctrl;
}

/** Celery's log levels, least severe first (`-l/--loglevel`). */
export const LEVELS = ["debug", "info", "warning", "error", "critical"] as const;
/** One of {@link LEVELS}. */
export type Level = (typeof LEVELS)[number];
let threshold = 1;

/** `-l/--loglevel`: lines below `level` are not printed (case-insensitive, as in Celery). */
export function setLogLevel(level: string | undefined): void {
  if (level === undefined) return;
  const i = LEVELS.indexOf(level.toLowerCase() as Level);
  if (i < 0) throw new UsageError(`-l/--loglevel must be one of ${LEVELS.join(", ")}, got "${level}"`);
  threshold = i;
}

/** One log line on stderr (stdout carries only the JSON of --drain and --once). */
export function log(line: string, level: Level = "info"): void {
  if (LEVELS.indexOf(level) >= threshold) console.error(`[${new Date().toISOString()}] ${line}`);
}

// Celery's `-A proj` names a module without its extension: try the usual ones, then an index file.
const CANDIDATES = ["", ".ts", ".mts", ".js", ".mjs", "/index.ts", "/index.js"];

/**
 * Import the module named by `-A MODULE[:EXPORT]` (a path relative to `cwd`) and return its app:
 * the export named after `:`, else `app`, else `default`, else the module's only Celeriac
 * export. Throws {@link UsageError} (exit 2) when the module or the app is not found, or when a
 * Node without type stripping is asked to import TypeScript and tsx is not installed; errors
 * thrown by the module itself propagate.
 */
export async function loadApp(spec: string | undefined, cwd: string = process.cwd()): Promise<Celeriac> {
  if (!spec) throw new UsageError("-A/--app is required: the module that exports your app, e.g. -A tasks.ts or -A src/app.ts:app");
  // Split at a last ":" followed by an identifier; a Windows drive letter ("C:") is not an export.
  const m = /^(.+):([A-Za-z_$][\w$]*)$/.exec(spec);
  const [file, name] = m && !/^[A-Za-z]$/.test(m[1]) ? [m[1], m[2]] : [spec, undefined];
  const base = resolve(cwd, file);
  const path = CANDIDATES.map((ext) => base + ext).find(isFile);
  if (path === undefined) {
    throw new UsageError(`cannot find module "${file}" (looked for ${base}, with ${CANDIDATES.slice(1).join(", ")})`, false);
  }
  let mod: Record<string, unknown>;
  try {
    mod = await importUserModule(path);
  } catch (err) {
    if (err instanceof NoLoaderError) throw new UsageError(err.message, false);
    const hint = esmOnlyHint(path, err);
    if (hint) throw new UsageError(hint, false);
    throw new Error(`failed to load ${file}: ${(err as Error)?.stack ?? String(err)}`, { cause: err });
  }
  return pickApp(mod, file, name);
}

function pickApp(mod: Record<string, unknown>, file: string, name: string | undefined): Celeriac {
  const exports = Object.keys(mod).map((k) => `${k} (${kindOf(mod[k])})`).join(", ") || "none";
  if (name !== undefined) {
    if (!(name in mod)) throw new UsageError(`${file} has no export "${name}"; its exports: ${exports}`, false);
    if (isApp(mod[name])) return mod[name];
    throw new UsageError(`export "${name}" of ${file} is a ${kindOf(mod[name])}, not a Celeriac app; its exports: ${exports}`, false);
  }
  for (const k of ["app", "default"]) if (isApp(mod[k])) return mod[k];
  const apps = Object.keys(mod).filter((k) => isApp(mod[k]));
  if (apps.length === 1) return mod[apps[0]] as Celeriac;
  throw new UsageError(
    apps.length > 1
      ? `${file} exports several Celeriac apps (${apps.join(", ")}): pick one with -A ${file}:<export>`
      : `${file} exports no Celeriac app; its exports: ${exports}. ` +
        `Export one (\`export const app = new Celeriac(...)\`) or name it with -A ${file}:<export>.`,
    false,
  );
}

/** A Celeriac instance; duck-typed too, for an app built by another copy of the package. */
function isApp(value: unknown): value is Celeriac {
  if (value instanceof Celeriac) return true;
  const v = value as Partial<Record<"worker" | "tasks" | "conf" | "broker", unknown>> | null;
  return typeof v === "object" && v !== null && typeof v.worker === "function" && v.tasks instanceof Map &&
    typeof v.conf === "object" && typeof v.broker === "object";
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "function") return /^class\s/.test(Function.prototype.toString.call(value)) ? "class" : "function";
  if (typeof value !== "object") return typeof value;
  return (value as object).constructor?.name || "object";
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
