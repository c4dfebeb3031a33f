// A new user's first minutes, for test/integration/first-contact*.test.ts: the package packed
// with `npm pack` and installed into an empty project, commands run there as a user types them.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** The repository root (the package being packed). */
export const REPO = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const BIN = join(REPO, "node_modules/.bin");

/** A finished command. */
export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run `cmd args` in `cwd` to completion (the repo's node_modules/.bin first on PATH, for bun/deno). */
export function sh(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<Ran> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, {
      cwd,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, PATH: `${BIN}:${process.env.PATH}`, NO_COLOR: "1", ...env },
    });
    const out = { stdout: "", stderr: "" };
    child.stdout.on("data", (b: Buffer) => (out.stdout += b.toString()));
    child.stderr.on("data", (b: Buffer) => (out.stderr += b.toString()));
    child.on("error", fail);
    child.on("close", (code) => done({ code, ...out }));
  });
}

/** A temporary directory, removed by `cleanup`. */
export function tempDir(name: string): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), `celeriac-${name}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** `npm pack` the repository into `dir` and return the tarball's path. */
export async function packRepo(dir: string): Promise<string> {
  const r = await sh("npm", ["pack", "--pack-destination", dir, "--json"], REPO);
  if (r.code !== 0) throw new Error(`npm pack failed:\n${r.stderr}`);
  const [{ filename }] = JSON.parse(r.stdout.slice(r.stdout.indexOf("["))) as { filename: string }[];
  return join(dir, filename);
}

/** An empty ESM project in `dir` with the tarball installed (as `npm install celeriac`). */
export async function installInto(dir: string, tarball: string): Promise<void> {
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "first-contact", private: true, type: "module" }));
  const r = await sh("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", tarball], dir);
  if (r.code !== 0) throw new Error(`npm install of ${tarball} failed:\n${r.stderr}`);
}

/**
 * `npm install -D <pkg>` for a package this repo already has: linked from its node_modules, so the
 * test needs no registry for it. Returns a function that uninstalls it again.
 */
export function addPackage(project: string, pkg: string): () => void {
  const target = join(project, "node_modules", pkg);
  mkdirSync(join(target, ".."), { recursive: true });
  symlinkSync(join(REPO, "node_modules", pkg), target, "dir");
  return () => rmSync(target, { force: true, recursive: false });
}

/** The top-level packages in a project's node_modules (scoped ones as `@scope/name`). */
export function installed(project: string): string[] {
  const root = join(project, "node_modules");
  return readdirSync(root)
    .filter((n) => !n.startsWith("."))
    .flatMap((n) => (n.startsWith("@") ? readdirSync(join(root, n)).map((m) => `${n}/${m}`) : [n]))
    .sort();
}

/** Write `files` (path → content) under `dir`. */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
}
