/**
 * The real `celery` command line (Python Celery 5.2.6) against DB 11 of the test Redis, for the
 * monitoring interop tests: run one command to completion, or keep one running (`events
 * --dump`) and wait for lines in its output.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { promisify } from "node:util";

const exec = promisify(execFile);
export const PY = "/usr/bin/python3";
export const cwd = new URL(".", import.meta.url).pathname;
/** The Redis DB these tests use (pub/sub channels are `/11.celeryev/*`, `/11.celery.pidbox`). */
export const DB = 11;

/** Throws how to install Python Celery when it is missing. */
export async function requireCelery(): Promise<void> {
  try {
    await exec(PY, ["-c", "import celery, redis"]);
  } catch {
    throw new Error("Python Celery is missing: install it with `apt-get install -y python3-celery python3-redis`");
  }
}

/** The environment pyapp.py reads: broker and backend on `url`, kombu's `global_keyprefix`. */
export function pyEnv(url: string, prefix: string): NodeJS.ProcessEnv {
  return { ...process.env, BROKER_URL: url, BACKEND_URL: url, CELERIAC_PREFIX: prefix, PYTHONPATH: cwd };
}

/** `celery -A pyapp <args>`: exit code and output (never throws on a non-zero exit). */
export async function celery(env: NodeJS.ProcessEnv, ...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await exec(PY, ["-m", "celery", "-A", "pyapp", ...args], { cwd, env, timeout: 60_000 });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : 1, out: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

/** A running Python process whose stdout is kept. */
export interface Running {
  child: ChildProcess;
  output(): string;
  /** Resolves with the output once `test` is true of it (checked on every chunk); rejects if the process exits first. */
  until(test: (out: string) => boolean, what: string): Promise<string>;
  stop(): Promise<void>;
}

/** Start `python3 <args>` (e.g. `-m celery -A pyapp events --dump`). */
export function startPython(env: NodeJS.ProcessEnv, args: string[]): Running {
  const child = spawn(PY, args, { cwd, env: { ...env, PYTHONUNBUFFERED: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    out += chunk;
    for (const w of waiters) w();
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  return {
    child,
    output: () => out,
    until: (test, what) => new Promise<string>((resolve, reject) => {
      const check = (): void => {
        if (!test(out)) return;
        waiters.delete(check);
        resolve(out);
      };
      waiters.add(check);
      child.once("exit", (code) => {
        waiters.delete(check);
        if (!test(out)) reject(new Error(`python exited with ${code} before ${what}:\n${out}`));
      });
      check();
    }),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    },
  };
}
