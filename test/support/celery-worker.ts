/**
 * A real Python Celery 5.2 next to the tests: `celery -A pyapp worker` subprocesses and the
 * `pyclient.py` command line, both on test/interop/pyapp.py, which reads its broker, backend,
 * kombu key prefix and default queue from the environment. Celery 5.2's Redis result keys carry
 * no prefix, so every task id a test creates is tracked and its keys deleted on `close()`.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { promisify } from "node:util";
import { Redis } from "ioredis";

const run = promisify(execFile);
/** Debian's python3 with python3-celery. */
export const PY = "/usr/bin/python3";
/** Where pyapp.py and pyclient.py live (the worker's and client's working directory). */
export const PY_DIR = new URL("../interop/", import.meta.url).pathname;

/** Where the Python side connects; each field becomes an environment variable of pyapp.py. */
export interface PythonCeleryEnv {
  /** BROKER_URL, e.g. `redis://127.0.0.1:6379` or `pyamqp://guest:guest@127.0.0.1:5672//`. */
  brokerUrl: string;
  /** BACKEND_URL: a Redis URL (Celery's own result keys). */
  backendUrl: string;
  /** CELERIAC_PREFIX: kombu's `global_keyprefix` on a Redis broker. */
  prefix?: string;
  /** CELERIAC_QUEUE: `task_default_queue` (Celery's default is `celery`). */
  defaultQueue?: string;
}

/** How one `celery worker` is started (`pool` defaults to solo, prefork `concurrency` to 2). */
export interface CeleryWorkerOptions {
  queues: string[];
  pool?: "solo" | "prefork";
  concurrency?: number;
  /** Extra environment, e.g. `{ VISIBILITY_TIMEOUT: "5" }` (read by pyapp.py). */
  env?: Record<string, string>;
  /** Extra `celery worker` arguments, e.g. `["-E"]`. */
  args?: string[];
  /** The worker's node name (`-n`; default `py-<run>-<n>@localhost`, unique per run). */
  name?: string;
}

/** A result handle as celeriac returns it: an id, the step before it, a group's members. */
export interface ResultLike {
  id: string;
  parent?: ResultLike | null;
  results?: ResultLike[];
}

/** Fail, saying how to install them, unless python3 imports `celery`, `redis` and `modules`. */
export async function requirePythonCelery(...modules: string[]): Promise<void> {
  const all = ["celery", "redis", ...modules];
  try {
    await run(PY, ["-c", `import ${all.join(", ")}`]);
  } catch {
    throw new Error(`Python Celery is missing: install it with \`apt-get install -y ${all.map((m) => `python3-${m}`).join(" ")}\``);
  }
}

/** Python Celery for one suite: its workers, its client and the result keys to delete. */
export class PythonCelery {
  #log = "";
  readonly #ids = new Set<string>();
  readonly #workers: ChildProcess[] = [];
  readonly #tag = randomUUID().slice(0, 8);

  constructor(readonly where: PythonCeleryEnv) {}

  /** The environment pyapp.py reads, plus `extra`. */
  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const { brokerUrl, backendUrl, prefix, defaultQueue } = this.where;
    return {
      ...process.env, BROKER_URL: brokerUrl, BACKEND_URL: backendUrl, PYTHONPATH: PY_DIR,
      ...(prefix ? { CELERIAC_PREFIX: prefix } : {}), ...(defaultQueue ? { CELERIAC_QUEUE: defaultQueue } : {}), ...extra,
    };
  }

  /** Run pyclient.py with these arguments; its trimmed stdout. Ids it reports on stderr are tracked. */
  async py(...args: string[]): Promise<string> {
    const { stdout, stderr } = await run(PY, ["pyclient.py", ...args], { cwd: PY_DIR, env: this.env(), timeout: 60_000 });
    for (const m of stderr.matchAll(/^ids: (.*)$/gm)) this.track(...m[1]!.trim().split(/\s+/));
    return stdout.trim();
  }

  /** Ids (or result handles, with their parents and group members) whose result keys `close()` deletes. */
  track(...items: Array<string | ResultLike>): void {
    for (const item of items) {
      if (typeof item === "string") {
        this.#ids.add(item);
        continue;
      }
      this.#ids.add(item.id);
      this.track(...(item.parent ? [item.parent] : []), ...(item.results ?? []));
    }
  }

  /** Every worker's log so far. */
  log(): string {
    return this.#log;
  }

  /** Start a worker; resolves once it logs `ready.` (its consumer is up), fails if it exits first or in 60 s. */
  async startWorker(opts: CeleryWorkerOptions): Promise<ChildProcess> {
    const pool = opts.pool ?? "solo";
    const child = spawn(PY, [
      "-m", "celery", "-A", "pyapp", "worker", `--pool=${pool}`, ...(pool === "prefork" ? ["-c", String(opts.concurrency ?? 2)] : []),
      "-Q", opts.queues.join(","), "--without-mingle", "--without-gossip", "--without-heartbeat", "--loglevel=INFO",
      "-n", opts.name ?? `py-${this.#tag}-${this.#workers.length}@localhost`, ...(opts.args ?? []),
    ], { cwd: PY_DIR, env: this.env(opts.env), stdio: ["ignore", "ignore", "pipe"] });
    this.#workers.push(child);
    const start = this.#log.length;
    child.stderr!.on("data", (chunk) => (this.#log += chunk));
    await new Promise<void>((resolve, reject) => {
      const fail = (why: string): void => (cleanup(), reject(new Error(`celery worker ${why}:\n${this.#log.slice(start)}`)));
      const timer = setTimeout(() => fail("not ready after 60 s"), 60_000);
      const onData = (): void => void (/ready\./.test(this.#log.slice(start)) && (cleanup(), resolve()));
      const onExit = (code: number | null): void => fail(`exited with ${code}`);
      const cleanup = (): void => {
        clearTimeout(timer);
        child.stderr!.off("data", onData);
        child.off("exit", onExit);
      };
      child.stderr!.on("data", onData);
      child.once("exit", onExit);
    });
    return child;
  }

  /** Stop every worker by its PID (SIGTERM, SIGKILL after 20 s), then delete the tracked result keys. */
  async close(): Promise<void> {
    for (const w of this.#workers) await stopByPid(w);
    if (this.#ids.size > 0) await deleteResultKeys(this.where.backendUrl, this.#ids);
  }
}

async function stopByPid(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  process.kill(child.pid, "SIGTERM");
  const timer = setTimeout(() => child.exitCode === null && process.kill(child.pid!, "SIGKILL"), 20_000);
  await exited;
  clearTimeout(timer);
}

/**
 * Delete Celery's result keys (`celery-task-meta-<id>`, `celery-taskset-meta-<id>`, and their
 * `.j`/`.t`/`.f` chord keys) of the tracked ids and of every task linked to them: a record naming
 * another id (children, group_id, a saved group's members) joins both, so the steps of a chain and
 * the members of a chord go with the one id a test tracked. Keys of anyone else are never linked.
 */
async function deleteResultKeys(url: string, tracked: Set<string>): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on("error", () => {});
  try {
    const keys: string[] = [];
    let cursor = "0";
    do {
      const [next, found] = await client.scan(cursor, "MATCH", "celery-task*-meta-*", "COUNT", 1000);
      keys.push(...found);
      cursor = next;
    } while (cursor !== "0");
    const idOf = (key: string): string => key.replace(/^celery-task(?:set)?-meta-/, "").replace(/\.[a-z]$/, "");
    const parent = new Map<string, string>([...keys.map(idOf), ...tracked].map((id) => [id, id]));
    const root = (id: string): string => {
      while (parent.get(id) !== id) id = parent.get(id)!;
      return id;
    };
    for (let i = 0; i < keys.length; i += 500) {
      const batch = keys.slice(i, i + 500);
      const values = await client.mget(...batch);
      batch.forEach((key, j) => {
        for (const m of (values[j] ?? "").matchAll(/"([^"\\]{1,200})"/g)) {
          if (parent.has(m[1]!)) parent.set(root(m[1]!), root(idOf(key)));
        }
      });
    }
    const mine = new Set([...tracked].map(root));
    const doomed = keys.filter((k) => mine.has(root(idOf(k))));
    for (let i = 0; i < doomed.length; i += 500) await client.del(...doomed.slice(i, i + 500));
  } finally {
    client.disconnect();
  }
}
