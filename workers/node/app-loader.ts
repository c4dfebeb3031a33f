/**
 * `-A MODULE[:EXPORT]` (Celery's `celery -A proj`): import the user's module and pick its app.
 * @module
 */
import { statSync } from "node:fs";
import { resolve } from "node:path";
import process from "node:process";
import { Celeriac } from "../../mod.ts";
import { UsageError } from "./cli-kit.ts";
import { esmOnlyHint, importUserModule, NoLoaderError } from "./runtime.ts";

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
